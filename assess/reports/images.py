"""Images through one headless Chromium: PNG/SVG/PDF of plotly figures (kaleido 1.x) and HTML
printed to PDF, for a whole report or a whole session.

Starting Chromium costs about 2 s; a figure on a running browser 0.2–0.5 s. So one
``ChartRenderer`` owns one ``kaleido.Kaleido`` (one Chromium, ``mathjax=False``) on its own event
loop thread and serves every figure and every printed page until it is closed. The process-wide
``shared_renderer()`` is warmed up by the export screen when it opens and closed at exit.

kaleido's own ``start_sync_server`` is not used: when Chromium fails to start, its server thread
dies and every later call waits forever; here a start or a render that fails or takes too long
becomes an ``ImagesUnavailable`` error with a message, and the report falls back to HTML and XLSX.

The browser is found at ``$ASSESS_CHROMIUM`` when that is set (even to a missing path, which
turns images off), else ``/usr/bin/chromium`` or the first of chromium, chromium-browser,
google-chrome on PATH.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import inspect
import logging
import os
import shutil
import subprocess
import threading
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assess.foundation.errors import AssessError

if TYPE_CHECKING:
    import asyncio

    from plotly.graph_objects import Figure

CHROMIUM_ENV = "ASSESS_CHROMIUM"
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
IMAGE_FORMATS = ("png", "svg", "pdf")
START_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 60.0
RELOAD_EVERY = 25  # figures between reloads of kaleido's page
ENABLE_HINT = (
    "要导出 PNG/SVG/PDF 图表，请安装 Chromium 和中文字体（sudo apt-get install chromium fonts-wqy-microhei），"
    f"或用环境变量 {CHROMIUM_ENV} 指定浏览器路径。"
)


class ImagesUnavailable(AssessError):
    """Chromium is missing or failed: images cannot be made (HTML and XLSX still can)."""


def chromium_path() -> str | None:
    """The Chromium executable to use, or None when there is none."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured is not None:
        p = Path(configured).expanduser()
        return str(p) if configured and p.is_file() and os.access(p, os.X_OK) else None
    for name in CANDIDATES:
        found = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found and Path(found).is_file():
            return found
    return None


def missing_chromium_message() -> str:
    configured = os.environ.get(CHROMIUM_ENV)
    where = f"（{CHROMIUM_ENV}={configured} 不存在或不可执行）" if configured is not None else ""
    return f"未找到 Chromium{where}：已导出 HTML 和 XLSX，未导出图片和 PDF。{ENABLE_HINT}"


def cjk_fonts() -> list[str]:
    """Font families fontconfig offers for Chinese (empty when none, or when fc-list is missing)."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(",")[0].strip() for line in out.stdout.splitlines() if line.strip()})


class ChartRenderer:
    """One Chromium (through kaleido) for many figures and pages. Thread-safe: calls from several
    threads are queued on the browser's own event loop."""

    def __init__(self, path: str | None = None, *, timeout: float = RENDER_TIMEOUT_S):
        self.path = path
        self.timeout = timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self.renders = 0

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def start(self) -> ChartRenderer:
        """Start Chromium unless it runs already. Raises ImagesUnavailable."""

        with self._lock:
            if self._kaleido is not None:
                return self
            path = self.path or chromium_path()
            if path is None or not Path(path).is_file():
                raise ImagesUnavailable(missing_chromium_message())
            _quiet_browser_logs()
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="chromium-renderer", daemon=True)
            thread.start()

            async def open_browser():
                k = _kaleido_class()(path=path, mathjax=False, timeout=self.timeout)
                await k.open()
                return k

            future = asyncio.run_coroutine_threadsafe(open_browser(), loop)
            try:
                self._kaleido = future.result(START_TIMEOUT_S)
            except BaseException as exc:
                future.cancel()
                loop.call_soon_threadsafe(loop.stop)
                thread.join(5)
                raise ImagesUnavailable(
                    f"Chromium（{path}）无法启动：{type(exc).__name__}: {exc}。{ENABLE_HINT}"
                ) from exc
            self._loop, self._thread = loop, thread
            return self

    def _call(self, coro_fn, timeout: float | None = None):
        return self._wait(self._submit(coro_fn), timeout)

    def _submit(self, coro_fn):
        self.start()
        return asyncio.run_coroutine_threadsafe(coro_fn(self._kaleido), self._loop)

    def _wait(self, future, timeout: float | None = None):
        try:
            return future.result(timeout or self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self.close()
            raise ImagesUnavailable(
                f"Chromium 生成图片超时（{timeout or self.timeout:.0f} 秒），已关闭浏览器。"
            ) from None
        except AssessError:
            raise
        except Exception as exc:
            if self._kaleido is not None:
                self._kaleido.reload_now = True  # a failed figure may leave the page in a bad state
            from choreographer.errors import BrowserClosedError, BrowserFailedError

            if isinstance(exc, (BrowserClosedError, BrowserFailedError)):
                self.close()
                raise ImagesUnavailable(f"Chromium 意外退出：{exc}") from exc
            raise

    def submit(
        self,
        fig: Figure | dict,
        fmt: str = "png",
        *,
        width: int | None = None,
        height: int | None = None,
        scale: float = 1,
    ):
        """Start rendering the figure as PNG, SVG or PDF and return at once (a future for ``wait``):
        the caller can prepare the next figure while Chromium draws this one."""
        if fmt not in IMAGE_FORMATS:
            raise ValueError(f"unknown image format {fmt!r}")
        opts: dict[str, Any] = {"format": fmt, "scale": scale}
        if width:
            opts["width"] = width
        if height:
            opts["height"] = height
        self.start()
        if fmt == "pdf":
            self._kaleido.reload_now = True  # kaleido draws a PDF into its page: start clean afterwards
        self.renders += 1
        future = self._submit(lambda k: k.calc_fig(fig, opts=opts))
        future.again = lambda: self._submit(lambda k: k.calc_fig(fig, opts=opts))
        return future

    def wait(self, future) -> bytes:
        """The image of a ``submit``; raises ImagesUnavailable when Chromium failed or timed out.

        A figure that reached kaleido's page while the page was being reloaded (its script not yet
        defined, seen under load) is drawn once more on the fresh page."""
        try:
            return self._wait(future)
        except Exception as exc:
            again = getattr(future, "again", None)
            if again is None or "is not defined" not in str(exc):
                raise
            return self._wait(again())

    def render(
        self,
        fig: Figure | dict,
        fmt: str = "png",
        *,
        width: int | None = None,
        height: int | None = None,
        scale: float = 1,
    ) -> bytes:
        """The figure as PNG, SVG or PDF bytes (the figure's own size unless width/height given)."""
        return self.wait(self.submit(fig, fmt, width=width, height=height, scale=scale))

    def write(self, fig: Figure | dict, path: str | Path, *, scale: float = 1) -> Path:
        """Write the figure to ``path``; the format is the file's suffix (png, svg or pdf)."""
        path = Path(path)
        path.write_bytes(self.render(fig, path.suffix.lstrip(".").lower(), scale=scale))
        return path

    def print_pdf(self, html_path: str | Path, *, footer: str = "", landscape: bool = False) -> bytes:
        """Print a local HTML file to an A4 PDF (page numbers and ``footer`` at the bottom of every
        page). The page must not need the network."""

        url = Path(html_path).resolve().as_uri()
        foot = (
            f'<div style="font-family:WenQuanYi Micro Hei,Noto Sans CJK SC,sans-serif;font-size:8px;width:100%;'
            f'padding:0 12mm;display:flex;justify-content:space-between;color:#555">'
            f'<span>{escape(footer)}</span><span>第 <span class="pageNumber"></span> 页 / 共 '
            f'<span class="totalPages"></span> 页</span></div>'
        )

        async def run(k):
            tab = await k.create_tab("", window=True)
            try:
                loaded = tab.subscribe_once("Page.loadEventFired")
                _check(await tab.send_command("Page.enable"))
                _check(await tab.send_command("Page.navigate", params={"url": url}))
                await loaded
                result = await tab.send_command(
                    "Page.printToPDF",
                    params={
                        "printBackground": True,
                        "landscape": landscape,
                        "paperWidth": 8.27,
                        "paperHeight": 11.69,
                        "marginTop": 0.55,
                        "marginBottom": 0.6,
                        "marginLeft": 0.5,
                        "marginRight": 0.5,
                        "displayHeaderFooter": True,
                        "headerTemplate": "<span></span>",
                        "footerTemplate": foot,
                    },
                )
                _check(result)
                return base64.b64decode(result["result"]["data"])
            finally:
                await k.close_tab(tab.target_id)

        return self._call(run, timeout=max(self.timeout, 120.0))

    def close(self) -> None:
        with self._lock:
            k, loop, thread = self._kaleido, self._loop, self._thread
            self._kaleido = self._loop = self._thread = None
        if k is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(20)
        except Exception:  # the browser may already be gone; the process is ended either way
            pass
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)


def _kaleido_class():
    """kaleido's ``Kaleido``, reloading its page only every ``RELOAD_EVERY`` figures.

    Kaleido reloads its page (and plotly.js) after every figure, about half the time of a figure.
    A PNG or SVG export leaves nothing behind (``Plotly.toImage`` draws in a detached element and
    purges it), so the page is reloaded every ``RELOAD_EVERY`` figures, after a PDF figure and after
    a failure. Where kaleido's tab hand-back is not the method this relies on, plain ``Kaleido``
    is used (slower, same results)."""

    import kaleido

    base = kaleido.Kaleido
    hook = getattr(base, "_return_kaleido_tab", None)
    if (
        hook is None
        or not inspect.iscoroutinefunction(hook)
        or list(inspect.signature(hook).parameters) != ["self", "tab"]
    ):
        return base

    class ReusingKaleido(base):
        reload_now = False
        since_reload = 0

        async def _return_kaleido_tab(self, tab) -> None:
            self.since_reload += 1
            if self.reload_now or self.since_reload >= RELOAD_EVERY or not hasattr(self, "tabs_ready"):
                self.reload_now = False
                self.since_reload = 0
                await super()._return_kaleido_tab(tab)
            else:
                await self.tabs_ready.put(tab)

    return ReusingKaleido


def _quiet_browser_logs() -> None:
    """The browser libraries log (and print, under the CLI's basic logging) harmless noise such as a
    message cut short while Chromium shuts down; failures reach us as exceptions anyway."""

    for name in ("choreographer", "kaleido", "logistro", "browser_proc"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _check(response: dict) -> None:
    if isinstance(response, dict) and "error" in response:
        raise ImagesUnavailable(f"Chromium 报错：{response['error']}")


_shared: ChartRenderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> ChartRenderer:
    """The process-wide renderer (not started until first used or ``warm_up``)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ChartRenderer()
            atexit.register(_shared.close)
        return _shared


def warm_up() -> str | None:
    """Start the shared renderer; None when ready, else the message saying how to enable images."""
    try:
        shared_renderer().start()
    except ImagesUnavailable as exc:
        return str(exc)
    return None


def export_figure(fig: Figure, path: str | Path, renderer: ChartRenderer | None = None) -> Path:
    """Write one figure as PNG, SVG or PDF (by suffix), or as self-contained HTML (.html)."""
    path = Path(path)
    if path.suffix.lower() in (".html", ".htm"):
        fig.write_html(str(path), include_plotlyjs=True, full_html=True, config={"displaylogo": False})
        return path
    return (renderer or shared_renderer()).write(fig, path)
