"""WebDriver BiDi over one WebSocket: commands with their answers, events, and values between
Python and the page's JavaScript."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

COMMAND_TIMEOUT = 30.0


class BidiError(Exception):
    """Firefox answered a command with an error, or a script threw."""


class Connection:
    """Commands and events over one WebSocket: each answer goes to the command that asked."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = itertools.count(1)
        self._answers: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, Callable[[dict[str, Any]], bool], asyncio.Future[dict[str, Any]]]] = []
        self._reader = asyncio.create_task(self._read())

    async def send(self, method: str, params: dict[str, Any] | None = None,
                   timeout: float = COMMAND_TIMEOUT) -> dict[str, Any]:
        if self._reader.done():
            raise BidiError(f"{method}: the connection to Firefox is closed")
        command_id = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        self._answers[command_id] = answer
        await self.socket.send(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        try:
            message = await asyncio.wait_for(answer, timeout)
        finally:
            self._answers.pop(command_id, None)
        if message.get("type") == "error":
            raise BidiError(f"{method}: {message.get('error')}: {message.get('message')}")
        return dict(message.get("result", {}))

    def expect(self, method: str, matches: Callable[[dict[str, Any]], bool]) -> asyncio.Future[dict[str, Any]]:
        """A future for the next ``method`` event whose params ``matches``; ask before acting."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((method, matches, future))
        return future

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                if "id" in message and message["id"] in self._answers:
                    self._answers[message["id"]].set_result(message)
                elif message.get("type") == "event":
                    self._deliver(message["method"], message.get("params", {}))
        except ConnectionClosed:
            pass  # Firefox went away; whoever waits learns it below
        finally:
            closed = BidiError("the connection to Firefox closed")
            for future in [*self._answers.values(), *(w[2] for w in self._waiters)]:
                if not future.done():
                    future.set_exception(closed)

    def _deliver(self, method: str, params: dict[str, Any]) -> None:
        for waiter in list(self._waiters):
            name, matches, future = waiter
            if future.done():
                self._waiters.remove(waiter)
            elif name == method and matches(params):
                future.set_result(params)
                self._waiters.remove(waiter)

    async def close(self) -> None:
        await self.socket.close()
        with contextlib.suppress(Exception):
            await self._reader


def reference(element: dict[str, Any]) -> dict[str, str]:
    return {"sharedId": element["sharedId"]}


def local_value(value: Any) -> dict[str, Any]:
    """A Python argument as a BiDi local value."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        return {"type": "number", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, dict) and "sharedId" in value:
        return reference(value)
    raise TypeError(f"cannot pass {value!r} to a script")


def python_value(remote: dict[str, Any]) -> Any:
    """A BiDi remote value as Python: primitives, lists and dicts; nodes stay references."""
    kind = remote["type"]
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return remote["value"]
    if kind == "number":
        value = remote["value"]
        return float(value) if isinstance(value, str) else value  # "NaN", "-0", "Infinity"
    if kind == "array":
        return [python_value(item) for item in remote.get("value", [])]
    if kind == "object":
        return {key if isinstance(key, str) else python_value(key): python_value(item)
                for key, item in remote.get("value", [])}
    return remote
