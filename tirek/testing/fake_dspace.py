"""A fake DSpace 7+ server REST API, built from the DSpace REST contract (github.com/DSpace/
RestContract, main branch as of 2026: authentication.md, csrf-tokens.md, epersons.md,
epersongroups.md). It implements only these calls, under /server/api:

    GET  /authn/status                       sets the CSRF token (DSPACE-XSRF-TOKEN header and
                                             DSPACE-XSRF-COOKIE cookie)
    POST /authn/login                        form user/password + X-XSRF-TOKEN; answers the JWT in
                                             the Authorization header and a new CSRF token
    GET  /eperson/epersons                   paged list (page, size)
    GET  /eperson/epersons/search/byEmail    200 with the eperson, 204 when none
    POST /eperson/epersons                   admin create; 422 without e-mail or when it exists
    GET|PATCH|DELETE /eperson/epersons/<id>  PATCH: replace /canLogin, /netid, /email,
                                             /metadata/eperson.firstname|lastname; add /password
    GET  /eperson/epersons/<id>/groups
    GET  /eperson/groups/search/byMetadata   query = name (or UUID)
    POST /eperson/groups/<id>/epersons       text/uri-list of eperson URLs; 204, 422 if unknown
    DELETE /eperson/groups/<id>/epersons/<eperson id>   204, also when not a member

Every unsafe method needs X-XSRF-TOKEN equal to the DSPACE-XSRF-COOKIE cookie (else 403), and
every eperson call a valid Bearer JWT (else 401). Anything else is rejected and recorded.
"""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import parse_qs

from tirek.testing.fakehttp import FakeServer, Request, Response

API = "/server/api"
UUID = r"(?P<id>[0-9a-f-]{36})"
GUUID = r"(?P<gid>[0-9a-f-]{36})"


class FakeDSpace(FakeServer):
    routes = [
        ("GET", f"{API}/authn/status", "status"),
        ("POST", f"{API}/authn/login", "login"),
        ("GET", f"{API}/eperson/epersons", "list_epersons"),
        ("POST", f"{API}/eperson/epersons", "create"),
        ("GET", f"{API}/eperson/epersons/search/byEmail", "by_email"),
        ("GET", f"{API}/eperson/epersons/{UUID}", "get"),
        ("PATCH", f"{API}/eperson/epersons/{UUID}", "patch"),
        ("DELETE", f"{API}/eperson/epersons/{UUID}", "delete"),
        ("GET", f"{API}/eperson/epersons/{UUID}/groups", "eperson_groups"),
        ("GET", f"{API}/eperson/groups/search/byMetadata", "group_search"),
        ("POST", f"{API}/eperson/groups/{GUUID}/epersons", "add_member"),
        ("DELETE", f"{API}/eperson/groups/{GUUID}/epersons/{UUID}", "remove_member"),
    ]

    def __init__(self, admin: str = "admin@ksu.edu.kz", password: str = "", port=None) -> None:
        super().__init__(port)
        self.admin = admin
        self.password = password or secrets.token_urlsafe(12)
        self.csrf: set[str] = set()
        self.jwts: set[str] = set()
        self.epersons: dict[str, dict] = {}
        self.passwords: dict[str, str] = {}
        self.groups: dict[str, dict] = {}  # id -> {"name", "members": set}

    @property
    def url(self) -> str:
        return f"{self.base}{API}"

    def add_group(self, name: str) -> str:
        gid = str(uuid.uuid4())
        self.groups[gid] = {"name": name, "members": set()}
        return gid

    def members(self, name: str) -> set[str]:
        """E-mails of the members of the group called `name`."""
        group = next(g for g in self.groups.values() if g["name"] == name)
        return {self.epersons[e]["email"] for e in group["members"]}

    def by_mail(self, email: str) -> dict | None:
        return next((e for e in self.epersons.values() if e["email"] == email.lower()), None)

    # -- protocol checks ----------------------------------------------------------------

    def _new_csrf(self) -> dict[str, str]:
        token = secrets.token_hex(16)
        self.csrf.add(token)
        return {
            "DSPACE-XSRF-TOKEN": token,
            "Set-Cookie": f"DSPACE-XSRF-COOKIE={token}; Path=/server; HttpOnly",
        }

    def _refused(self, request: Request) -> Response | None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            header = request.headers.get("x-xsrf-token")
            if (
                not header
                or header != request.cookies.get("DSPACE-XSRF-COOKIE")
                or (header not in self.csrf)
            ):
                return Response(403, {"message": "Access is denied. Invalid CSRF token."})
        if not request.path.startswith(f"{API}/authn/"):
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.jwts:
                return Response(401, {"message": "Authentication is required"})
        return None

    def _eperson(self, eperson: dict) -> dict:
        return {
            **eperson,
            "type": "eperson",
            "_links": {"self": {"href": f"{self.url}/eperson/epersons/{eperson['id']}"}},
        }

    # -- authentication ------------------------------------------------------------------

    def status(self, request: Request) -> Response:
        headers = {} if request.cookies.get("DSPACE-XSRF-COOKIE") in self.csrf else self._new_csrf()
        auth = request.headers.get("authorization", "")
        authenticated = auth.startswith("Bearer ") and auth[7:] in self.jwts
        return Response(
            200, {"okay": True, "authenticated": authenticated, "type": "status"}, headers
        )

    def login(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("user") != self.admin or form.get("password") != self.password:
            return Response(401, {"message": "Authentication failed"})
        jwt = secrets.token_urlsafe(24)
        self.jwts.add(jwt)
        return Response(200, None, {"Authorization": f"Bearer {jwt}", **self._new_csrf()})

    # -- epersons ------------------------------------------------------------------------

    def list_epersons(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        page, size = int(request.query.get("page", 0)), int(request.query.get("size", 20))
        people = sorted(self.epersons.values(), key=lambda e: e["email"])
        chunk = people[page * size : (page + 1) * size]
        pages = (len(people) + size - 1) // size
        return Response(
            200,
            {
                "_embedded": {"epersons": [self._eperson(e) for e in chunk]},
                "page": {
                    "number": page,
                    "size": size,
                    "totalPages": pages,
                    "totalElements": len(people),
                },
            },
        )

    def by_email(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        if not request.query.get("email"):
            return Response(400, {"message": "email is required"})
        found = self.by_mail(request.query["email"])
        return Response(200, self._eperson(found)) if found else Response(204)

    def create(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        body = request.json() or {}
        email = (body.get("email") or "").lower()
        if not email or self.by_mail(email):
            return Response(422, {"message": "email missing or already in use"})
        eid = str(uuid.uuid4())
        self.epersons[eid] = {
            "id": eid,
            "uuid": eid,
            "name": email,
            "email": email,
            "netid": body.get("netid"),
            "canLogIn": bool(body.get("canLogIn")),
            "requireCertificate": bool(body.get("requireCertificate")),
            "selfRegistered": bool(body.get("selfRegistered")),
            "metadata": body.get("metadata") or {},
        }
        return Response(201, self._eperson(self.epersons[eid]))

    def get(self, request: Request, id: str) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        eperson = self.epersons.get(id)
        return Response(200, self._eperson(eperson)) if eperson else Response(404)

    def patch(self, request: Request, id: str) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        eperson = self.epersons.get(id)
        if eperson is None:
            return Response(404)
        for op in request.json() or []:
            path, value = op.get("path"), op.get("value")
            if op.get("op") == "replace" and path == "/canLogin":
                eperson["canLogIn"] = str(value).lower() == "true"
            elif op.get("op") == "replace" and path in ("/netid", "/email"):
                eperson[path[1:]] = value
            elif op.get("op") == "replace" and path in (
                "/metadata/eperson.firstname",
                "/metadata/eperson.lastname",
            ):
                eperson["metadata"][path.split("/")[-1]] = value
            elif op.get("op") == "add" and path == "/password":
                self.passwords[id] = value["new_password"]
            else:
                return Response(422, {"message": f"unsupported patch {op}"})
        return Response(200, self._eperson(eperson))

    def delete(self, request: Request, id: str) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        if self.epersons.pop(id, None) is None:
            return Response(404)
        for group in self.groups.values():
            group["members"].discard(id)
        return Response(204)

    def eperson_groups(self, request: Request, id: str) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        groups = [
            {"id": gid, "uuid": gid, "name": g["name"], "type": "group"}
            for gid, g in self.groups.items()
            if id in g["members"]
        ]
        return Response(200, {"_embedded": {"groups": groups}})

    # -- groups --------------------------------------------------------------------------

    def group_search(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        query = request.query.get("query", "")
        found = [
            {"id": gid, "uuid": gid, "name": g["name"], "type": "group"}
            for gid, g in self.groups.items()
            if query == gid or query.lower() in g["name"].lower()
        ]
        return Response(
            200, {"_embedded": {"groups": found}, "page": {"totalElements": len(found)}}
        )

    def add_member(self, request: Request, gid: str) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        if gid not in self.groups:
            return Response(404)
        if not request.headers.get("content-type", "").startswith("text/uri-list"):
            return Response(415)
        for line in request.body.decode().split():
            eid = line.rstrip("/").rsplit("/", 1)[-1]
            if eid not in self.epersons:
                return Response(422, {"message": "eperson not found"})
            self.groups[gid]["members"].add(eid)
        return Response(204)

    def remove_member(self, request: Request, gid: str, id: str) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        if gid not in self.groups:
            return Response(404)
        if id not in self.epersons:
            return Response(422)
        self.groups[gid]["members"].discard(id)
        return Response(204)
