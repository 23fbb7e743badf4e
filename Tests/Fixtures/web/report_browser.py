#!/usr/bin/python3
"""Opens the HTML report of `switchboard web` in a real headless Chromium (DevTools
protocol), with the admin token as an Authorization header, takes a PNG screenshot and
prints one JSON object: every `.bar` of the charts (its data-* figures, fill, and box on
the page), the summary's figures, and the screenshot's colour at the centre of each bar
(decoded here from the PNG), so the test can check the chart is drawn and its numbers.

usage: report_browser.py --url URL --token TOKEN --screenshot FILE
"""
import argparse, asyncio, base64, json, os, shutil, signal, struct, subprocess, sys, tempfile, time, urllib.request, zlib

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dni_browser import CDP  # noqa: E402  (the same small CDP client)

PROBE = """JSON.stringify({
  ready: document.readyState,
  summary: Object.assign({}, (document.getElementById('summary') || {}).dataset),
  charts: Array.from(document.querySelectorAll('svg')).map(s => s.id),
  bars: Array.from(document.querySelectorAll('rect.bar')).map(r => {
    const b = r.getBoundingClientRect();
    return {chart: r.ownerSVGElement.id, data: Object.assign({}, r.dataset), fill: r.getAttribute('fill'),
            x: b.x + window.scrollX, y: b.y + window.scrollY, width: b.width, height: b.height};
  })})"""


def png_pixels(data):
    """(width, height, rows of RGB(A) bytes) of an 8-bit non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
            channels = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


async def main(args):
    profile = tempfile.mkdtemp(prefix="report-chromium-")
    browser = subprocess.Popen([args.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--disable-dev-shm-usage", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                                "--hide-scrollbars", f"--user-data-dir={profile}", "about:blank"],
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
            target = (await cdp.call("Target.createTarget", {"url": "about:blank"}))["targetId"]
            session = (await cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
            await cdp.call("Page.enable", session=session)
            await cdp.call("Network.enable", session=session)
            await cdp.call("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Bearer {args.token}"}}, session=session)
            await cdp.call("Emulation.setDeviceMetricsOverride",
                           {"width": 1000, "height": 1600, "deviceScaleFactor": 1, "mobile": False}, session=session)
            await cdp.call("Page.navigate", {"url": args.url}, session=session)
            seen = None
            while time.time() < deadline:
                r = await cdp.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=session)
                seen = json.loads(r["result"]["value"])
                if seen["ready"] == "complete" and seen["charts"]:
                    break
                await asyncio.sleep(0.2)
            shot = await cdp.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
            png = base64.b64decode(shot["data"])
            open(args.screenshot, "wb").write(png)
            width, height, channels, rows = png_pixels(png)
            for bar in seen["bars"]:
                cx, cy = int(bar["x"] + bar["width"] / 2), int(bar["y"] + bar["height"] / 2)
                if bar["width"] >= 2 and bar["height"] >= 2 and 0 <= cx < width and 0 <= cy < height:
                    px = rows[cy][cx * channels:cx * channels + 3]
                    bar["pixel"] = "#%02x%02x%02x" % tuple(px)
            seen["screenshot"] = {"width": width, "height": height, "bytes": len(png)}
            print(json.dumps(seen), flush=True)
            await cdp.call("Browser.close")
    finally:
        if browser.poll() is None:
            os.killpg(browser.pid, signal.SIGTERM)  # its own process group, started above
            try:
                browser.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--screenshot", required=True)
    p.add_argument("--timeout", type=float, default=45)
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    asyncio.run(main(p.parse_args()))
