"""A small client of Chromium's DevTools protocol (python3-websocket), for the console's test.

Starts Debian's headless `chromium` with a fresh profile and no background traffic, attaches to
its page, and records what the page does: every request it sends (URL), the console messages and
exceptions, the log entries (failed loads, Content-Security-Policy violations) and the size of
every response. Only this process group is stopped at the end.
"""
import base64
import json
import os
import signal
from ports import free_port
import subprocess
import time
import urllib.request

import websocket

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
         "--no-default-browser-check", "--hide-scrollbars", "--mute-audio", "--window-size=1366,768"]



class Chromium:
    def __init__(self, work, binary="chromium"):
        self.port = free_port()
        self.log = open(os.path.join(work, "chromium.log"), "w")
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--remote-debugging-port={self.port}", f"--user-data-dir={work}/chromium-profile",
             "about:blank"], stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ws = websocket.create_connection(self._page_socket(), timeout=60, suppress_origin=True)
        self.next_id = 0
        self.requests = []      # (request id, url)
        self.sizes = {}         # request id -> encoded bytes received
        self.errors = []        # console errors, exceptions, error log entries
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1366, height=768, deviceScaleFactor=1, mobile=False)

    def _page_socket(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("chromium did not open its DevTools port (see chromium.log)")

    def _event(self, m):
        method, p = m.get("method"), m.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append((p["requestId"], p["request"]["url"]))
        elif method == "Network.loadingFinished":
            self.sizes[p["requestId"]] = p.get("encodedDataLength", 0)
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            self.errors.append("console." + p["type"] + ": " + " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.errors.append("exception: " + str(d.get("exception", {}).get("description", d.get("text"))))
        elif method == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
            e = p["entry"]
            self.errors.append(f"log.{e['level']}: {e.get('text')} {e.get('url', '')}")

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self._event(m)

    def pump(self, seconds):
        """Reads events for a while (the page works between calls)."""
        self.ws.settimeout(seconds)
        try:
            while True:
                self._event(json.loads(self.ws.recv()))
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.ws.settimeout(60)

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def wait(self, expression, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            self.pump(0.1)
        return None

    def navigate(self, url):
        self.call("Page.navigate", url=url)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except OSError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
