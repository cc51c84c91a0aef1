// The analyst console (issue 12, docs/adr/0036-analyst-console.md): static HTML, CSS and
// JavaScript compiled into the correlator (files.h) and served on its HTTP listener:
//
//   GET /                    index.html
//   GET /console/NAME        the other files (console.js, console.css, ...)
//
// The page uses only the JSON API under /api/v1/ (docs/api.md). Every answer carries a
// Content-Security-Policy that allows nothing but this origin, so the browser itself refuses a
// request elsewhere (no CDN, no font, no analytics), and no frame embedding.
#pragma once

#include "daemon/http/server.h"

namespace soc::daemon::console {

// Registers the routes; call before server.start().
void register_console(http::Server& server);

}  // namespace soc::daemon::console
