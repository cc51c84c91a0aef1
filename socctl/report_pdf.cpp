#include "socctl/report_pdf.h"

#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "socctl/process.h"

namespace soc::ctl {

namespace fs = std::filesystem;

namespace {

std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string tail_of(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

}  // namespace

std::string find_chromium(const std::string& given) {
  if (!given.empty()) return given.find('/') == std::string::npos ? on_path(given) : given;
  if (const char* env = std::getenv("SOC_CHROMIUM"); env && *env) return env;
  for (const char* name : {"chromium", "chromium-browser"})
    if (auto p = on_path(name); !p.empty()) return p;
  return "";
}

Result<void> print_pdf(const std::string& html, const std::string& pdf_path, const PdfOptions& o) {
  const std::string browser = find_chromium(o.chromium);
  if (browser.empty())
    return fail("pdf", "no Chromium found (install Debian's chromium, or give --chromium PATH or $SOC_CHROMIUM)");
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/soc-report-pdf.XXXXXX";
  if (!mkdtemp(dir.data())) return fail("pdf", fmt::format("cannot make a temporary folder: {}", std::strerror(errno)));
  std::error_code ec;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(dir, e);
    }
  } cleanup{dir};
  const std::string page = dir + "/report.html", out = dir + "/report.pdf", log = dir + "/chromium.log";
  {
    std::ofstream f(page, std::ios::binary);
    f << html;
    if (!f) return fail("pdf", "cannot write " + page);
  }
  std::vector<std::string> args{browser,
                                "--headless",
                                "--disable-gpu",
                                "--no-first-run",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--disable-extensions",
                                "--no-default-browser-check",
                                "--host-resolver-rules=MAP * ~NOTFOUND",
                                "--user-data-dir=" + dir + "/profile",
                                "--no-pdf-header-footer",
                                "--print-to-pdf=" + out,
                                "file://" + page};
  // Chromium refuses to run as root with its sandbox; the page is our own, without scripts.
  if (geteuid() == 0) args.insert(args.begin() + 1, "--no-sandbox");
  auto child = Child::spawn(args, log);
  if (!child) return fail("pdf", child.error().message);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout_s);
  while (child->running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-child->pid(), SIGKILL);  // its own process group: the browser and its helpers
      child->wait();
      return fail("pdf", fmt::format("{} did not finish within {} s; its output:\n{}", browser, o.timeout_s,
                                     tail_of(log, 2000)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-child->pid(), SIGKILL);  // helpers that outlive the browser, if any
  std::ifstream check(out, std::ios::binary);
  char magic[5] = {};
  check.read(magic, 5);
  if (child->exit_code() != 0 || std::string(magic, 5) != "%PDF-")
    return fail("pdf", fmt::format("{} exited {} without a PDF; its output:\n{}", browser, child->exit_code(),
                                   tail_of(log, 2000)));
  check.close();
  fs::copy_file(out, pdf_path + ".tmp", fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(pdf_path + ".tmp", pdf_path, ec);
  if (ec) return fail("pdf", fmt::format("cannot write {}: {}", pdf_path, ec.message()));
  return {};
}

}  // namespace soc::ctl
