"""The wizard's JSON writes answered without FastAPI's route search and dependency solving.

A step save is the commonest request of a peak. FastAPI finds its operation by asking every route
in turn, then reads the body, solves the dependencies and validates the body through its general
machinery: more of the gateway's own work on a step than the operation itself
(tools/loadtest/README.md, "The wizard's writes without FastAPI's machinery"). ``OperationShortcut``
is a route put before all the others that knows a few operations by method and path and answers the
plain case of each with the operation's own parts: the same endpoint function, the same dependency
functions, the same body validation (the route's own body field), so what it answers is what
FastAPI would have answered. The endpoints answer a ``Response`` of their own, which FastAPI too
hands back as it is.

Anything else it hands on untouched, body included, to the app's router as if the shortcut were
not there, so every refusal comes from FastAPI as the OpenAPI document describes it: no body, a
content type other than JSON, a body that is not JSON or that the model refuses, a dependency that
refuses (not signed in, another kind of account, the identity service away), an overridden
dependency (tests). Only operations whose parameters are the request, their body and dependencies
from ``PLAIN_DEPENDENCIES`` are taken: functions of the request alone that change nothing, so that
asking one again after handing on is harmless. Errors raised by the endpoint itself (a service's
refusal) reach the app's exception handlers exactly as they do from FastAPI.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, get_route_path
from starlette.types import Message, Receive, Scope, Send

from tqr_gateway.bodies import replaying
from tqr_gateway.deps import application_client, require_applicant

Dependency = Callable[[Request], Awaitable[Any]]

# Functions of the request alone that change nothing (read the session, pick a client).
PLAIN_DEPENDENCIES: frozenset[Dependency] = frozenset({require_applicant, application_client})

_HANDED_ON = "tqr.shortcut.handed_on"
_OPERATION = "tqr.shortcut.operation"  # set in the scope by ``matches``, for ``handle``


class NotPlain(ValueError):
    """The operation takes something the shortcut does not give (a query, a header, another dependency)."""


@dataclass(frozen=True)
class _Operation:
    route: APIRoute
    request_name: str
    dependencies: tuple[tuple[str, Dependency], ...]

    @classmethod
    def of(cls, route: APIRoute, plain: Collection[Dependency]) -> _Operation:
        dependant = route.dependant
        body = route.body_field
        if body is None or getattr(body.field_info, "embed", False) or dependant.request_param_name is None \
                or dependant.path_params or dependant.query_params or dependant.header_params \
                or dependant.cookie_params or len(dependant.body_params) != 1 or _takes_more(dependant):
            raise NotPlain(f"{route.path}: only the request, one JSON body and plain dependencies")
        answers = typing.get_type_hints(route.endpoint).get("return")
        if not (isinstance(answers, type) and issubclass(answers, Response)):
            raise NotPlain(f"{route.path}: the endpoint must answer a Response, which needs nothing done to it")
        dependencies: list[tuple[str, Dependency]] = []
        for sub in dependant.dependencies:
            if sub.call not in plain or sub.name is None or sub.dependencies:
                raise NotPlain(f"{route.path}: {getattr(sub.call, '__name__', sub.call)} is not a plain dependency")
            dependencies.append((sub.name, cast(Dependency, sub.call)))
        return cls(route, dependant.request_param_name, tuple(dependencies))

    async def arguments(self, request: Request, body: Any) -> dict[str, Any] | None:
        """The endpoint's arguments, or None where FastAPI should answer instead."""
        field = self.route.body_field
        assert field is not None  # checked in ``of``
        value, errors = field.validate(body, {}, loc=("body",))
        if errors:
            return None
        arguments: dict[str, Any] = {self.request_name: request, field.name: value}
        for name, dependency in self.dependencies:
            try:
                arguments[name] = await dependency(request)
            except Exception:  # FastAPI asks it again and answers its refusal
                return None
        return arguments


class OperationShortcut(BaseRoute):
    """A route, first in the app's router, for ``routes`` (each plain: ``_Operation.of``)."""

    def __init__(self, app: FastAPI, routes: Iterable[APIRoute], plain: Collection[Dependency] = PLAIN_DEPENDENCIES):
        self._app = app
        self._operations = {(method, route.path): _Operation.of(route, plain)
                            for route in routes for method in route.methods or ()}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or _HANDED_ON in scope:
            return Match.NONE, {}
        operation = self._operations.get((scope["method"], get_route_path(scope)))
        return (Match.NONE, {}) if operation is None else (Match.FULL, {_OPERATION: operation})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation: _Operation = scope[_OPERATION]
        request = Request(scope, receive, send)
        try:
            body = await request.body()
        except Exception as error:  # FastAPI meets the same error reading it again
            await self._hand_on(scope, _failing(error), send)
            return
        arguments = await _plain_arguments(self._app, operation, request, body)
        if arguments is None:
            await self._hand_on(scope, replaying(body, then=receive), send)
            return
        scope["route"] = operation.route  # as FastAPI's routing sets it (the metrics' route label)
        response = await operation.route.endpoint(**arguments)
        await response(scope, receive, send)

    async def _hand_on(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_HANDED_ON] = True
        await self._app.router(scope, receive, send)


async def _plain_arguments(app: FastAPI, operation: _Operation, request: Request, body: bytes) -> dict[str, Any] | None:
    if not body or not _is_json(request.headers.get("content-type", "")):
        return None
    if app.dependency_overrides and any(d in app.dependency_overrides for _, d in operation.dependencies):
        return None
    try:
        value = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        return None
    return await operation.arguments(request, value)


def _takes_more(dependant: Dependant) -> bool:
    return any(getattr(dependant, name) is not None for name in (
        "websocket_param_name", "http_connection_param_name", "response_param_name",
        "background_tasks_param_name", "security_scopes_param_name"))


def _is_json(content_type: str) -> bool:
    # The commonest spelling only; FastAPI decides every other (``+json``, no content type at all).
    return content_type.partition(";")[0].strip().lower() == "application/json"



def _failing(error: Exception) -> Receive:
    async def fail() -> Message:
        raise error

    return fail
