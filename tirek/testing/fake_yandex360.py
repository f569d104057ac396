"""A fake Yandex 360 for Business Directory API, built from its reference (yandex.ru/dev/api360,
"API Яндекс 360 для бизнеса", UserService_* and GroupService_* pages, revision of 2026). It
implements only these calls, under https://api360.yandex.net/directory/v1/org/{orgId}:

    GET    /users?page=&perPage=          UserService_List: users, page, pages, perPage, total
    POST   /users                         UserService_Create: nickname, name{first,last,middle},
                                          departmentId, password, passwordChangeRequired,
                                          externalId, ...
    GET    /users/{userId}                UserService_Get
    PATCH  /users/{userId}                UserService_Update: only the fields sent change
                                          (isEnabled blocks/unblocks, departmentId, name, password)
    DELETE /users/{userId}                UserService_Delete
    GET    /groups?page=&perPage=         GroupService_List
    POST   /groups/{groupId}/members      GroupService_AddMember: {"id", "type": "user"}
    DELETE /groups/{groupId}/members/{type}/{memberId}   GroupService_DeleteMember

Authorization: `OAuth <token>`, else 401. Errors are `{"code", "message"}`. The reference does
not document the answer to a nickname already taken; the fake answers 409, and the connector
does not rely on it (it looks the nickname up first). Anything else is rejected and recorded.
"""

from __future__ import annotations

import itertools
import secrets

from tirek.testing.fakehttp import FakeServer, Request, Response

ORG = r"/directory/v1/org/(?P<org>\d+)"


class FakeYandex360(FakeServer):
    routes = [
        ("GET", f"{ORG}/users", "list_users"),
        ("POST", f"{ORG}/users", "create"),
        ("GET", f"{ORG}/users/(?P<uid>\\d+)", "get"),
        ("PATCH", f"{ORG}/users/(?P<uid>\\d+)", "update"),
        ("DELETE", f"{ORG}/users/(?P<uid>\\d+)", "delete"),
        ("GET", f"{ORG}/groups", "list_groups"),
        ("POST", f"{ORG}/groups/(?P<gid>\\d+)/members", "add_member"),
        (
            "DELETE",
            f"{ORG}/groups/(?P<gid>\\d+)/members/(?P<kind>\\w+)/(?P<mid>\\d+)",
            "remove_member",
        ),
    ]

    def __init__(self, org_id: int = 4242, domain: str = "ksu.edu.kz", port=None) -> None:
        super().__init__(port)
        self.org_id = org_id
        self.domain = domain
        self.token = secrets.token_urlsafe(16)
        self.users: dict[str, dict] = {}
        self.passwords: dict[str, str] = {}
        self.groups: dict[int, dict] = {}
        self._ids = itertools.count(1130000000000001)

    @property
    def url(self) -> str:
        return self.base

    def add_group(self, name: str) -> int:
        gid = len(self.groups) + 1
        self.groups[gid] = {"id": gid, "name": name, "label": name.lower(), "members": []}
        return gid

    def by_nickname(self, nickname: str) -> dict | None:
        return next((u for u in self.users.values() if u["nickname"] == nickname), None)

    def _refused(self, request: Request, org: str) -> Response | None:
        if request.headers.get("authorization") != f"OAuth {self.token}":
            return Response(401, {"code": 16, "message": "Unauthenticated"})
        if int(org) != self.org_id:
            return Response(403, {"code": 7, "message": "Permission denied"})
        return None

    def _page(self, request: Request, items: list, key: str) -> Response:
        page = int(request.query.get("page", 1))
        per_page = min(int(request.query.get("perPage", 10)), 1000)
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max((len(items) + per_page - 1) // per_page, 1)
        return Response(
            200,
            {key: chunk, "page": page, "pages": pages, "perPage": per_page, "total": len(items)},
        )

    def list_users(self, request: Request, org: str) -> Response:
        return self._refused(request, org) or self._page(
            request, list(self.users.values()), "users"
        )

    def create(self, request: Request, org: str) -> Response:
        refused = self._refused(request, org)
        if refused:
            return refused
        body = request.json() or {}
        if not body.get("nickname") or not body.get("name") or not body.get("password"):
            return Response(400, {"code": 3, "message": "nickname, name and password are required"})
        if self.by_nickname(body["nickname"]):
            return Response(409, {"code": 6, "message": "nickname already exists"})
        uid = str(next(self._ids))
        self.passwords[uid] = body["password"]
        self.users[uid] = {
            "id": uid,
            "nickname": body["nickname"],
            "email": f"{body['nickname']}@{self.domain}",
            "name": body["name"],
            "departmentId": body.get("departmentId", 1),
            "externalId": body.get("externalId", ""),
            "isEnabled": True,
            "isDismissed": False,
            "passwordChangeRequired": bool(body.get("passwordChangeRequired")),
            "groups": [],
        }
        return Response(200, self.users[uid])

    def get(self, request: Request, org: str, uid: str) -> Response:
        refused = self._refused(request, org)
        if refused:
            return refused
        user = self.users.get(uid)
        return Response(200, user) if user else Response(404, {"code": 5, "message": "Not found"})

    def update(self, request: Request, org: str, uid: str) -> Response:
        refused = self._refused(request, org)
        if refused:
            return refused
        user = self.users.get(uid)
        if user is None:
            return Response(404, {"code": 5, "message": "Not found"})
        body = request.json() or {}
        allowed = {
            "nickname",
            "departmentId",
            "name",
            "externalId",
            "isEnabled",
            "password",
            "passwordChangeRequired",
            "position",
            "displayName",
            "isAdmin",
            "language",
            "timezone",
            "gender",
            "about",
            "birthday",
            "contacts",
        }
        unknown = set(body) - allowed
        if unknown:
            return Response(400, {"code": 3, "message": f"unknown fields {sorted(unknown)}"})
        if "password" in body:
            self.passwords[uid] = body.pop("password")
        user.update(body)
        return Response(200, user)

    def delete(self, request: Request, org: str, uid: str) -> Response:
        refused = self._refused(request, org)
        if refused:
            return refused
        if self.users.pop(uid, None) is None:
            return Response(404, {"code": 5, "message": "Not found"})
        for group in self.groups.values():
            group["members"] = [m for m in group["members"] if m["id"] != uid]
        return Response(200, {"userId": uid, "deleted": True})

    def list_groups(self, request: Request, org: str) -> Response:
        return self._refused(request, org) or self._page(
            request, list(self.groups.values()), "groups"
        )

    def add_member(self, request: Request, org: str, gid: str) -> Response:
        refused = self._refused(request, org)
        if refused:
            return refused
        group = self.groups.get(int(gid))
        body = request.json() or {}
        if group is None:
            return Response(404, {"code": 5, "message": "Not found"})
        if body.get("type") != "user" or body.get("id") not in self.users:
            return Response(400, {"code": 3, "message": "bad member"})
        member = {"id": body["id"], "type": "user"}
        if member not in group["members"]:
            group["members"].append(member)
        return Response(200, {"id": body["id"], "type": "user", "added": True})

    def remove_member(self, request: Request, org: str, gid: str, kind: str, mid: str) -> Response:
        refused = self._refused(request, org)
        if refused:
            return refused
        group = self.groups.get(int(gid))
        if group is None:
            return Response(404, {"code": 5, "message": "Not found"})
        group["members"] = [
            m for m in group["members"] if not (m["id"] == mid and m["type"] == kind)
        ]
        return Response(200, {"id": mid, "type": kind, "deleted": True})
