#!/usr/bin/python3
"""Drives a real headless Chromium over the DevTools protocol (CDP) for the DNI tests.

Serves the landing page on 127.0.0.1:<page-port>, opens it in separate browser contexts
(each its own cookies and storage, like two visitors), waits until the snippet has leased a
number (or fell back to the default) and, with --heartbeat, until it heartbeated once, then
prints one JSON line per context with what the page shows. Everything is bounded in time.

usage: dni_browser.py --page-port P --snippet URL [--api URL] --visit QUERY [--visit QUERY...]
"""
import argparse, asyncio, http.server, json, os, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))


def serve_page(port, snippet, api):
    html = open(os.path.join(HERE, "landing.html"), encoding="utf-8").read()
    html = html.replace("@SNIPPET@", snippet).replace("@API@", f'data-api="{api}"' if api else "")
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class CDP:
    def __init__(self, ws):
        self.ws, self.next_id, self.pending = ws, 0, {}
        self.reader = asyncio.ensure_future(self.read())

    async def read(self):
        async for message in self.ws:
            m = json.loads(message)
            if "id" in m and m["id"] in self.pending:
                self.pending.pop(m["id"]).set_result(m)

    async def call(self, method, params=None, session=None, timeout=15):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        future = asyncio.get_event_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send(json.dumps(msg))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})


PROBE = """JSON.stringify({dni: window.SwitchboardDNI || null,
  phone: document.getElementById('phone').textContent,
  footer: document.getElementById('footer').textContent,
  other: document.getElementById('other').textContent,
  href: document.getElementById('call').getAttribute('href'),
  visibility: document.visibilityState})"""


async def visit(cdp, url, want_heartbeat, deadline):
    context = (await cdp.call("Target.createBrowserContext"))["browserContextId"]
    target = (await cdp.call("Target.createTarget", {"url": "about:blank", "browserContextId": context}))["targetId"]
    session = (await cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
    await cdp.call("Page.enable", session=session)
    await cdp.call("Page.navigate", {"url": url}, session=session)
    seen = None
    while time.time() < deadline:
        try:
            r = await cdp.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=session)
            seen = json.loads(r["result"]["value"])
        except Exception as e:  # the page is still loading
            seen = {"error": str(e)}
        dni = (seen or {}).get("dni") or {}
        if dni.get("state") == "default" or (dni.get("state") == "leased" and (not want_heartbeat or dni.get("lastHeartbeat"))):
            break
        await asyncio.sleep(0.2)
    return seen


async def main(args):
    profile = tempfile.mkdtemp(prefix="dni-chromium-")
    server = serve_page(args.page_port, args.snippet, args.api)
    browser = subprocess.Popen([args.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-dev-shm-usage", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                                f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + args.timeout
        port_file = os.path.join(profile, "DevToolsActivePort")
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.time() > deadline or browser.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        version = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=5))
        async with websockets.connect(version["webSocketDebuggerUrl"], max_size=None) as ws:
            cdp = CDP(ws)
            for i, query in enumerate(args.visit):
                url = f"http://127.0.0.1:{args.page_port}/landing.html{query}"
                seen = await visit(cdp, url, args.heartbeat, deadline)
                print(json.dumps({"visit": i, "url": url, **(seen or {})}), flush=True)
            await cdp.call("Browser.close")
    finally:
        server.shutdown()
        if browser.poll() is None:
            os.killpg(browser.pid, signal.SIGTERM)  # its own process group, started above
            try:
                browser.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--page-port", type=int, required=True)
    p.add_argument("--snippet", required=True)
    p.add_argument("--api")
    p.add_argument("--visit", action="append", required=True)
    p.add_argument("--heartbeat", action="store_true")
    p.add_argument("--timeout", type=float, default=45)
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    asyncio.run(main(p.parse_args()))
