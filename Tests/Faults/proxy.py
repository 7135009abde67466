"""A small loopback TCP proxy that injects network faults between a worker and Redis.

It runs an asyncio loop on a thread of its own. Modes, switched at any time:

- `pass`: bytes flow both ways as they arrive.
- `latency`: every chunk is held `delay` seconds before it is written on (each
  direction keeps its order), as a slow link would.
- `hold` (half-open): sockets stay open but nothing is forwarded; the proxy
  stops reading, so bytes wait in the kernel's buffers like packets that are
  being retransmitted, and flow again (in order) when the mode goes back to
  `pass`. New connections are accepted and held the same way.
- `cut()`: closes every connection now and refuses new ones (the listening
  socket is closed, so connects get ECONNREFUSED) until `restore()`.
"""

from __future__ import annotations

import asyncio
import threading
import time


class Proxy:
    def __init__(self, upstream_port: int, listen_port: int):
        self.upstream_port = upstream_port
        self.port = listen_port
        self.mode = "pass"
        self.delay = 0.0
        self.connections = 0
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._flowing: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Proxy":
        self._thread.start()
        self._call(self._setup())
        return self

    def _call(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _setup(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        await self._listen()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        self.connections += 1
        pair = (client_writer, server_writer)
        self._pairs.add(pair)
        try:
            await asyncio.gather(self._pump(client_reader, server_writer), self._pump(server_reader, client_writer))
        finally:
            self._pairs.discard(pair)
            for writer in pair:
                writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        delayed: asyncio.Queue = asyncio.Queue()
        sender = asyncio.ensure_future(self._send_delayed(delayed, writer))
        try:
            while True:
                await self._flowing.wait()
                data = await reader.read(65536)
                if not data:
                    break
                if self.mode == "hold":
                    await self._flowing.wait()
                delayed.put_nowait((time.monotonic() + self.delay, data))
        except (ConnectionError, OSError):
            pass
        finally:
            delayed.put_nowait(None)
            await sender
            try:
                writer.close()
            except Exception:
                pass

    async def _send_delayed(self, delayed: asyncio.Queue, writer: asyncio.StreamWriter) -> None:
        while True:
            item = await delayed.get()
            if item is None:
                return
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._flowing.wait()
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                return

    # ---- faults ---------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        self.delay = seconds
        self.mode = "latency" if seconds > 0 else "pass"

    def hold(self) -> None:
        self.mode = "hold"
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def release(self) -> None:
        self.mode = "pass"
        self._loop.call_soon_threadsafe(self._flowing.set)

    def cut(self) -> None:
        """Close every connection and refuse new ones until `restore()`."""
        async def close_all():
            if self._server is not None:
                self._server.close()
                self._server = None
            for pair in list(self._pairs):
                for writer in pair:
                    transport = writer.transport
                    if transport is not None:
                        transport.abort()
        self._call(close_all())

    def restore(self) -> None:
        self.release()
        if self._server is None:
            self._call(self._listen())

    def stop(self) -> None:
        try:
            self.cut()
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
