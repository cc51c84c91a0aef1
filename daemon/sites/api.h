// The HTTP API of the sites (docs/api.md, "Sites"), on the listener of daemon/http (ADR 0019):
//
//   GET /api/v1/sites        every site of the inventory: level, sensors, gaps, licenses, open alerts
//   GET /api/v1/sites/ID     one site, with its assets and the status of its requirements
//
// Handlers run on the server's workers: they read the latest published SitesView (immutable)
// and the alert store's read connections. 503 without --inventory (or before the first
// evaluation), 404 for a site the inventory does not have.
#pragma once

#include <functional>
#include <memory>

#include "daemon/http/server.h"
#include "daemon/sites/view.h"

namespace soc::daemon::alerts {
class AlertStore;
}

namespace soc::daemon::sites {

struct ApiOptions {
  const ViewSlot* view = nullptr;             // null: no --inventory, the routes answer 503
  const alerts::AlertStore* store = nullptr;  // null: open_alerts are all 0
};

// Registers the routes; call before server.start().
void register_api(http::Server& server, ApiOptions options);

}  // namespace soc::daemon::sites
