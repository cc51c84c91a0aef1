// The report's PDF: the HTML document printed by headless Chromium (Debian's `chromium`), A4
// from the document's own @page rules, without Chromium's header and footer. The document is
// read from a private temporary folder (file://), with a fresh profile, every network feature
// off and host names unresolvable, so nothing leaves the machine; Chromium is stopped (its whole
// process group) when it outlives the timeout, and the folder is removed.
#pragma once

#include <string>

#include "core/result.h"

namespace soc::ctl {

struct PdfOptions {
  std::string chromium;  // the browser; empty: $SOC_CHROMIUM, else chromium or chromium-browser on PATH
  double timeout_s = 180;
};

// The browser found as PdfOptions::chromium says; empty when there is none.
std::string find_chromium(const std::string& given);

// Writes `pdf_path` (replacing it only on success). Error "pdf" says why, with the end of
// Chromium's own output.
Result<void> print_pdf(const std::string& html, const std::string& pdf_path, const PdfOptions& options);

}  // namespace soc::ctl
