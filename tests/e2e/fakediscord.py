"""A local Discord stand-in: enough of the gateway and REST API to run the real discord.py client.

It listens on 127.0.0.1 (ephemeral port), records every REST request and gateway frame, and is strict
where Discord is strict:

* REST responses are ``application/json`` exactly (discord.py only parses JSON when the header matches);
  errors use Discord's ``{"code", "message"}`` shape and status codes.
* The gateway speaks HELLO -> IDENTIFY -> READY -> GUILD_CREATE, acknowledges heartbeats, checks the token,
  the API version, the shard and the privileged intents (close 4004 / 4012 / 4010 / 4014), and honours
  ``compress=zlib-stream`` like Discord does (``zstd-stream`` is answered with plain text frames).
* Without the MESSAGE_CONTENT intent, ``content``, ``embeds``, ``attachments``, ``components`` and ``poll``
  are blanked in MESSAGE_CREATE except for messages that mention the bot, direct messages and the bot's own
  messages.
* Interactions must be acknowledged within ``interaction_timeout`` seconds (3, as on Discord) and only once;
  follow-ups need an acknowledged interaction; message payloads are checked against Discord's limits.
* Guild events go only to the shard that owns the guild: ``(guild_id >> 22) % shard_count``.

Tests drive it through :class:`FakeDiscord` helpers: :meth:`FakeDiscord.user_message`,
:meth:`FakeDiscord.slash`, :meth:`FakeDiscord.autocomplete`, :meth:`FakeDiscord.click`,
:meth:`FakeDiscord.submit_modal`; each interaction helper returns a :class:`FakeInteraction` that records
when it was acknowledged and what the bot showed. :meth:`FakeDiscord.remove_guild` sends GUILD_DELETE (the
bot removed, or with ``unavailable`` an outage), :meth:`FakeDiscord.restore_guild` GUILD_CREATE, and
:meth:`FakeDiscord.probe_heartbeat` asks the client for a heartbeat (op 1) and times its answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API_VERSION = 10

# Intents (https://discord.com/developers/docs/events/gateway#gateway-intents)
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Permissions
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 53) - 1
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)  # view, send, embed...

# Message flags
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Limits Discord enforces on message payloads
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096, "footer.text": 2048, "author.name": 256}
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_BUTTON_LABEL = 80
MAX_CUSTOM_ID = 100
MAX_CHOICES = 25


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class _Snowflakes:
    """Discord-shaped IDs: milliseconds since the Discord epoch in the top bits, a counter below."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self, at_ms: Optional[int] = None) -> int:
        ms = at_ms if at_ms is not None else int(time.time() * 1000)
        return ((ms - DISCORD_EPOCH_MS) << 22) | (next(self._counter) & 0x3FFFFF)


class PayloadError(Exception):
    """A request Discord would refuse: becomes a 400 with code 50035 (Invalid Form Body)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict
    json: Any
    at: float
    status: int = 0
    files: list = field(default_factory=list)


@dataclass
class Heartbeat:
    shard: Optional[int]
    at: float  # when the stand-in received it
    seq: Any
    acked_at: Optional[float] = None  # when the stand-in sent the HEARTBEAT_ACK


@dataclass
class Probe:
    """The stand-in asked for a heartbeat (op 1 sent to the client); the client answers from its event loop,
    so the round trip measures how responsive the bot's loop is."""

    shard: Optional[int]
    sent_at: float
    answered_at: Optional[float] = None

    @property
    def seconds(self) -> Optional[float]:
        return None if self.answered_at is None else self.answered_at - self.sent_at


class GatewayConnection:
    def __init__(self, server: "FakeDiscord", ws: web.WebSocketResponse, compress: bool) -> None:
        self.server = server
        self.ws = ws
        self.compress = zlib.compressobj() if compress else None
        self.seq = 0
        self.intents = 0
        self.shard: tuple[int, int] = (0, 1)
        self.session_id = secrets.token_hex(16)
        self.identified = asyncio.Event()
        self.heartbeats: list[Heartbeat] = []
        self.probes: list[Probe] = []
        self.identify_payload: Optional[dict] = None
        self._lock = asyncio.Lock()

    @property
    def has_content_intent(self) -> bool:
        return bool(self.intents & INTENT_MESSAGE_CONTENT)

    def owns_guild(self, guild_id: int) -> bool:
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    async def send(self, op: int, d: Any, t: Optional[str] = None) -> None:
        async with self._lock:
            frame: dict[str, Any] = {"op": op, "d": d, "s": None, "t": t}
            if op == 0:
                self.seq += 1
                frame["s"] = self.seq
            data = json.dumps(frame)
            self.server.gateway_log.append(("out", self.shard[0], frame))
            if self.ws.closed:
                return
            if self.compress is not None:
                await self.ws.send_bytes(self.compress.compress(data.encode()) + self.compress.flush(zlib.Z_SYNC_FLUSH))
            else:
                await self.ws.send_str(data)

    async def dispatch(self, event: str, d: Any) -> None:
        await self.send(0, d, event)


class FakeInteraction:
    """One interaction dispatched to the bot, and everything the bot answered to it."""

    def __init__(self, server: "FakeDiscord", payload: dict) -> None:
        self.server = server
        self.payload = payload
        self.id = int(payload["id"])
        self.token = payload["token"]
        self.type = payload["type"]
        self.dispatched_at = time.monotonic()
        self.callbacks: list[dict] = []  # {"type", "data", "at"}
        self.original: Optional[dict] = None  # the original response message (id in server.messages)
        self.followups: list[int] = []
        self.acknowledged_at: Optional[float] = None

    @property
    def ack_seconds(self) -> Optional[float]:
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.dispatched_at

    @property
    def callback(self) -> Optional[dict]:
        return self.callbacks[0] if self.callbacks else None

    async def wait_ack(self, timeout: float = 10.0) -> dict:
        await self.server.wait_until(lambda: bool(self.callbacks), timeout, f"no callback for interaction {self.id}")
        return self.callbacks[0]

    def messages(self) -> list[dict]:
        """Messages shown for this interaction (original first, then follow-ups), current state."""
        out = []
        if self.original is not None:
            out.append(self.server.messages[self.original["id"]])
        out.extend(self.server.messages[str(m)] for m in self.followups)
        return out

    def _shown(self) -> Optional[dict]:
        msgs = [m for m in self.messages() if not (m.get("flags", 0) & LOADING)]
        return msgs[-1] if msgs else None

    async def wait_message(self, timeout: float = 10.0, *, predicate: Optional[Callable[[dict], bool]] = None) -> dict:
        """Wait until the bot shows a (non-loading) message for this interaction; return the latest one."""

        def ready() -> bool:
            m = self._shown()
            return m is not None and (predicate is None or predicate(m))

        await self.server.wait_until(ready, timeout, f"no message for interaction {self.id}")
        return self._shown()  # type: ignore[return-value]

    @property
    def modal(self) -> Optional[dict]:
        for cb in self.callbacks:
            if cb["type"] == 9:
                return cb["data"]
        return None

    @property
    def choices(self) -> Optional[list]:
        for cb in self.callbacks:
            if cb["type"] == 8:
                return cb["data"].get("choices", [])
        return None


class FakeGuild:
    def __init__(self, server: "FakeDiscord", gid: int, name: str, owner: dict) -> None:
        self.server = server
        self.id = gid
        self.name = name
        self.owner = owner
        self.roles: list[dict] = [self._role(gid, "@everyone", MEMBER_PERMISSIONS, 0)]
        self.channels: list[dict] = []
        self.members: dict[int, dict] = {}
        self.add_member(owner)

    def _role(self, rid: int, name: str, permissions: int, position: int) -> dict:
        return {
            "id": str(rid), "name": name, "permissions": str(permissions), "position": position, "color": 0,
            "hoist": False, "managed": False, "mentionable": False, "flags": 0, "icon": None, "unicode_emoji": None,
        }

    def add_role(self, name: str, permissions: int) -> dict:
        role = self._role(self.server.ids.next(), name, permissions, len(self.roles))
        self.roles.append(role)
        return role

    def add_channel(self, name: str) -> dict:
        ch = {
            "id": str(self.server.ids.next()), "type": 0, "guild_id": str(self.id), "name": name,
            "position": len(self.channels), "permission_overwrites": [], "nsfw": False, "parent_id": None,
            "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0,
        }
        self.channels.append(ch)
        self.server.channels[int(ch["id"])] = ch
        return ch

    def add_member(self, user: dict, roles: tuple[dict, ...] = ()) -> dict:
        member = {
            "user": user, "roles": [r["id"] for r in roles], "joined_at": now_iso(), "deaf": False, "mute": False,
            "nick": None, "avatar": None, "flags": 0, "pending": False,
        }
        self.members[int(user["id"])] = member
        return member

    def permissions(self, user_id: int) -> int:
        if user_id == int(self.owner["id"]):
            return ALL_PERMISSIONS
        member = self.members[user_id]
        perms = int(self.roles[0]["permissions"])
        for role in self.roles:
            if role["id"] in member["roles"]:
                perms |= int(role["permissions"])
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms

    def payload(self) -> dict:
        return {
            "id": str(self.id), "name": self.name, "icon": None, "splash": None, "discovery_splash": None,
            "owner_id": self.owner["id"], "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "roles": self.roles, "emojis": [],
            "stickers": [], "features": [], "mfa_level": 0, "application_id": None, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None, "description": None,
            "banner": None, "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
            "public_updates_channel_id": None, "nsfw_level": 0, "premium_progress_bar_enabled": False,
            "joined_at": now_iso(), "large": False, "unavailable": False, "member_count": len(self.members),
            "voice_states": [], "members": list(self.members.values()), "channels": self.channels, "threads": [],
            "presences": [], "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
        }


def _json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json", no charset parameter: discord.py compares the header verbatim.
    resp = web.Response(status=status, body=json.dumps(data).encode())
    resp.headers["Content-Type"] = "application/json"
    return resp


def _error(status: int, code: int, message: str) -> web.Response:
    return _json_response({"code": code, "message": message}, status)


class FakeDiscord:
    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        heartbeat_interval_ms: int = 41250,
        allowed_privileged_intents: int = INTENT_MESSAGE_CONTENT,
        interaction_timeout: float = 3.0,
        shard_count: int = 1,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.allowed_privileged_intents = allowed_privileged_intents
        self.interaction_timeout = interaction_timeout
        self.recommended_shards = shard_count
        self.ids = _Snowflakes()
        self.application_id = self.ids.next()
        self.owner = self.make_user("app-owner")
        self.bot_user = self.make_user("articlebot", bot=True, uid=self.application_id)
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, dict] = {}
        self.messages: dict[str, dict] = {}
        self.attachments: dict[str, tuple[bytes, str]] = {}
        self.pages: dict[str, tuple[bytes, str]] = {}  # a tiny web server, for /article add url
        self.page_requests: list[str] = []
        self.commands: dict[Optional[int], list[dict]] = {}  # guild id (None = global) -> commands
        self.requests: list[Request] = []
        self.gateway_log: list[tuple] = []
        self.connections: list[GatewayConnection] = []
        self.interactions: dict[str, FakeInteraction] = {}  # token -> interaction
        self.identify_count = 0
        self._changed = asyncio.Condition()
        self._runner: Optional[web.AppRunner] = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> "FakeDiscord":
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{channel}/{id}/{filename}", self._attachment)
        app.router.add_get("/pages/{name}", self._page)
        app.router.add_route("*", "/api/v{version}/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for conn in list(self.connections):
            if not conn.ws.closed:
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
        async def waiter() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(waiter(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}") from None

    # ------------------------------------------------------------------ world building

    def make_user(self, name: str, *, bot: bool = False, uid: Optional[int] = None) -> dict:
        return {
            "id": str(uid if uid is not None else self.ids.next()), "username": name, "discriminator": "0",
            "global_name": None if bot else name.title(), "avatar": None, "bot": bot, "system": False,
            "public_flags": 0, "flags": 0,
        }

    def add_guild(self, name: str, *, owner: Optional[dict] = None, guild_id: Optional[int] = None) -> FakeGuild:
        gid = guild_id if guild_id is not None else self.ids.next()
        guild = FakeGuild(self, gid, name, owner or self.make_user(f"{name}-owner"))
        guild.add_member(self.bot_user)
        self.guilds[gid] = guild
        return guild

    def upload(self, channel: dict, filename: str, data: bytes, content_type: str = "text/plain") -> dict:
        aid = str(self.ids.next())
        self.attachments[aid] = (data, content_type)
        url = f"{self.base_url}/attachments/{channel['id']}/{aid}/{filename}"
        return {
            "id": aid, "filename": filename, "size": len(data), "url": url, "proxy_url": url,
            "content_type": content_type, "ephemeral": False,
        }

    def open_dm(self, user: dict) -> dict:
        """The direct-message channel between ``user`` and the bot."""
        ch = {"id": str(self.ids.next()), "type": 1, "recipients": [user], "last_message_id": None, "flags": 0}
        self.channels[int(ch["id"])] = ch
        return ch

    def guild_of_channel(self, channel_id: int) -> Optional[FakeGuild]:
        ch = self.channels.get(channel_id)
        if ch is None or "guild_id" not in ch:
            return None
        return self.guilds[int(ch["guild_id"])]

    # ------------------------------------------------------------------ gateway

    def shard_connection(self, guild_id: Optional[int]) -> GatewayConnection:
        conns = [c for c in self.connections if c.identified.is_set() and not c.ws.closed]
        if not conns:
            raise AssertionError("the bot is not connected to the gateway")
        if guild_id is None:
            owners = [c for c in conns if c.shard[0] == 0]
        else:
            owners = [c for c in conns if c.owns_guild(guild_id)]
        if not owners:
            raise AssertionError(f"no shard connected for guild {guild_id}")
        return owners[-1]

    async def wait_connected(self, shards: int = 1, timeout: float = 10.0) -> None:
        await self.wait_until(
            lambda: sum(1 for c in self.connections if c.identified.is_set() and not c.ws.closed) >= shards,
            timeout,
            "gateway IDENTIFY",
        )

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        q = request.query
        if q.get("v") != str(API_VERSION):
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        if q.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"Decode error")
            return ws
        compress = q.get("compress")
        # zlib-stream is implemented; for zstd-stream (discord.py picks it when a zstd module is installed)
        # the stand-in sends uncompressed text frames, which clients accept alongside compressed ones.
        if compress not in (None, "zlib-stream", "zstd-stream"):
            await ws.close(code=4002, message=b"Unsupported compression")
            return ws
        conn = GatewayConnection(self, ws, compress == "zlib-stream")
        self.connections.append(conn)
        await conn.send(10, {"heartbeat_interval": self.heartbeat_interval_ms})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Decode error")
                    break
                frame = json.loads(msg.data)
                self.gateway_log.append(("in", conn.shard[0], {k: v for k, v in frame.items() if k != "d"}))
                await self._gateway_frame(conn, frame)
                await self._notify()
        finally:
            await self._notify()
        return ws

    async def _gateway_frame(self, conn: GatewayConnection, frame: dict) -> None:
        op, d = frame.get("op"), frame.get("d")
        if op == 1:
            beat = Heartbeat(conn.shard[0], time.monotonic(), d)
            pending = next((p for p in conn.probes if p.answered_at is None), None)
            if pending is not None:
                pending.answered_at = beat.at
            else:
                conn.heartbeats.append(beat)  # (answers to probes are not the client's own heartbeats)
            await conn.send(11, None)
            beat.acked_at = time.monotonic()
        elif op == 2:
            if conn.identified.is_set():
                await conn.ws.close(code=4005, message=b"Already authenticated")
                return
            if d.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed")
                return
            intents = int(d.get("intents", 0))
            if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
                await conn.ws.close(code=4014, message=b"Disallowed intent(s)")
                return
            shard = d.get("shard") or [0, 1]
            if not (isinstance(shard, list) and len(shard) == 2 and 0 <= shard[0] < shard[1]):
                await conn.ws.close(code=4010, message=b"Invalid shard")
                return
            conn.intents = intents
            conn.shard = (int(shard[0]), int(shard[1]))
            conn.identify_payload = {k: v for k, v in d.items() if k != "token"}
            self.identify_count += 1
            mine = [g for g in self.guilds.values() if conn.owns_guild(g.id)]
            await conn.dispatch(
                "READY",
                {
                    "v": API_VERSION, "user": self.bot_user, "guilds": [{"id": str(g.id), "unavailable": True} for g in mine],
                    "session_id": conn.session_id, "resume_gateway_url": self.gateway_url, "shard": list(conn.shard),
                    "application": {"id": str(self.application_id), "flags": 0}, "private_channels": [],
                    "relationships": [], "presences": [], "user_settings": {},
                },
            )
            for g in mine:
                await conn.dispatch("GUILD_CREATE", g.payload())
            conn.identified.set()
        elif op == 6:
            old = next((c for c in self.connections if c.session_id == (d or {}).get("session_id")), None)
            if old is None or d.get("token") != self.token:
                await conn.send(9, False)
                return
            conn.intents, conn.shard, conn.session_id, conn.seq = old.intents, old.shard, old.session_id, old.seq
            conn.identified.set()
            await conn.dispatch("RESUMED", {})
        elif op in (3, 4, 8):
            pass  # presence / voice / member requests: accepted, nothing to do
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def probe_heartbeat(self, conn: GatewayConnection) -> Probe:
        """Ask ``conn``'s client for an immediate heartbeat (op 1), as Discord may; see :class:`Probe`."""
        probe = Probe(conn.shard[0], time.monotonic())
        conn.probes.append(probe)
        await conn.send(1, conn.seq)
        return probe

    async def remove_guild(self, guild: FakeGuild, *, unavailable: bool = False) -> None:
        """GUILD_DELETE to the guild's shard: the bot was removed from (kicked out of) the guild, or, with
        ``unavailable``, the guild is down for an outage (Discord sends ``"unavailable": true``)."""
        conn = self.shard_connection(guild.id)
        d: dict[str, Any] = {"id": str(guild.id)}
        if unavailable:
            d["unavailable"] = True
        else:
            self.guilds.pop(guild.id, None)
        await conn.dispatch("GUILD_DELETE", d)

    async def restore_guild(self, guild: FakeGuild) -> None:
        """GUILD_CREATE to the guild's shard: back after an outage, or the bot was added again."""
        self.guilds[guild.id] = guild
        await self.shard_connection(guild.id).dispatch("GUILD_CREATE", guild.payload())

    def heartbeats(self, shard: Optional[int] = None) -> list[Heartbeat]:
        return [h for c in self.connections for h in c.heartbeats if shard is None or c.shard[0] == shard]

    # ------------------------------------------------------------------ messages

    def _message(self, channel_id: int, author: dict, payload: dict, *, interaction: Optional[FakeInteraction] = None) -> dict:
        guild = self.guild_of_channel(channel_id)
        mid = str(self.ids.next())
        msg: dict[str, Any] = {
            "id": mid, "channel_id": str(channel_id), "author": author, "content": payload.get("content") or "",
            "timestamp": now_iso(), "edited_timestamp": None, "tts": bool(payload.get("tts")),
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": payload.get("attachments", []),
            "embeds": payload.get("embeds") or [], "pinned": False, "type": 0, "flags": int(payload.get("flags") or 0),
            "components": payload.get("components") or [],
        }
        if guild is not None:
            msg["guild_id"] = str(guild.id)
        if interaction is not None:
            msg["type"] = 20 if interaction.type == 2 else 0
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            msg["interaction_metadata"] = {
                "id": str(interaction.id), "type": interaction.type,
                "user": (interaction.payload.get("member") or {}).get("user") or interaction.payload.get("user"),
                "authorizing_integration_owners": {},
            }
        msg["_allowed_mentions"] = payload.get("allowed_mentions")
        self.messages[mid] = msg
        return msg

    @staticmethod
    def public(msg: dict) -> dict:
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _for_connection(self, conn: GatewayConnection, msg: dict) -> dict:
        data = self.public(msg)
        guild_id = msg.get("guild_id")
        if guild_id is not None:
            guild = self.guilds[int(guild_id)]
            member = guild.members.get(int(msg["author"]["id"]))
            if member is not None:
                data["member"] = {k: v for k, v in member.items() if k != "user"}
        mentioned = any(u["id"] == self.bot_user["id"] for u in msg.get("mentions", []))
        is_dm = guild_id is None
        own = msg["author"]["id"] == self.bot_user["id"]
        if not conn.has_content_intent and not (mentioned or is_dm or own):
            data.update(content="", embeds=[], attachments=[], components=[])
            data.pop("poll", None)
        return data

    async def user_message(
        self,
        channel: dict,
        author: dict,
        content: str,
        *,
        mentions: tuple[dict, ...] = (),
        reply_to: Optional[dict] = None,
        mention_author: bool = True,
        attachments: tuple[dict, ...] = (),
    ) -> dict:
        """A user posts a message: stored, then MESSAGE_CREATE to the owning shard (blanked as Discord does)."""
        cid = int(channel["id"])
        msg = self._message(cid, author, {"content": content, "attachments": list(attachments)})
        msg["mentions"] = [dict(u) for u in mentions]
        msg["mention_everyone"] = "@everyone" in content or "@here" in content
        if reply_to is not None:
            msg["type"] = 19
            msg["message_reference"] = {
                "type": 0, "message_id": reply_to["id"], "channel_id": reply_to["channel_id"],
                "guild_id": reply_to.get("guild_id"),
            }
            msg["referenced_message"] = self.public(self.messages[reply_to["id"]])
            if mention_author and all(u["id"] != reply_to["author"]["id"] for u in msg["mentions"]):
                msg["mentions"].append(reply_to["author"])
        guild = self.guild_of_channel(cid)
        conn = self.shard_connection(guild.id if guild else None)
        data = self._for_connection(conn, msg)
        if "referenced_message" in data:
            data["referenced_message"] = self._for_connection(conn, self.messages[reply_to["id"]])  # type: ignore[index]
        await conn.dispatch("MESSAGE_CREATE", data)
        return msg

    def channel_messages(self, channel: dict) -> list[dict]:
        return [m for m in self.messages.values() if m["channel_id"] == channel["id"]]

    def bot_messages(self, channel: Optional[dict] = None) -> list[dict]:
        return [
            m for m in self.messages.values()
            if m["author"]["id"] == self.bot_user["id"] and (channel is None or m["channel_id"] == channel["id"])
        ]

    async def wait_reply(self, to: dict, *, timeout: float = 10.0) -> dict:
        """Wait for the bot's reply to the message ``to``."""

        def replies() -> list[dict]:
            return [m for m in self.bot_messages() if (m.get("message_reference") or {}).get("message_id") == to["id"]]

        await self.wait_until(lambda: bool(replies()), timeout, f"a reply to message {to['id']}")
        return replies()[0]

    async def wait_bot_message(self, channel: dict, *, after: int = 0, timeout: float = 10.0) -> dict:
        """Wait for a message the bot posts in ``channel`` (beyond the first ``after`` ones)."""
        await self.wait_until(lambda: len(self.bot_messages(channel)) > after, timeout, "a bot message")
        return self.bot_messages(channel)[after]

    # ------------------------------------------------------------------ interactions

    def _find_command(self, guild_id: Optional[int], name: str) -> tuple[dict, Optional[int]]:
        for scope in ((guild_id, None) if guild_id is not None else (None,)):
            for cmd in self.commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return cmd, scope
        raise AssertionError(f"/{name} is not registered (was the command tree synced?)")

    def _build_options(self, schema: list[dict], values: dict, focused: Optional[str], resolved: dict) -> list[dict]:
        known = {o["name"]: o for o in schema}
        for name in values:
            if name not in known:
                raise AssertionError(f"unknown option {name!r}; the command has {sorted(known)}")
        out = []
        for opt in schema:
            name = opt["name"]
            if name not in values:
                if opt.get("required") and name != focused:
                    raise AssertionError(f"missing required option {name!r}")
                continue
            value = values[name]
            item: dict[str, Any] = {"name": name, "type": opt["type"]}
            if opt["type"] == 11:  # attachment
                resolved.setdefault("attachments", {})[value["id"]] = value
                item["value"] = value["id"]
            elif opt["type"] == 7:  # channel: given as the channel dict, sent as its id and resolved data
                resolved.setdefault("channels", {})[value["id"]] = {
                    "id": value["id"], "name": value["name"], "type": value["type"], "parent_id": None,
                    "permissions": str(ALL_PERMISSIONS), "guild_id": value.get("guild_id")}
                item["value"] = value["id"]
            else:
                item["value"] = value
            if name == focused:
                item["focused"] = True
            out.append(item)
        return out

    def _command_data(self, guild: Optional[FakeGuild], path: str, options: dict, focused: Optional[str]) -> dict:
        names = path.split()
        cmd, scope = self._find_command(guild.id if guild else None, names[0])
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": 1}
        if scope is not None:
            data["guild_id"] = str(scope)
        resolved: dict[str, Any] = {}
        schema, container = cmd.get("options", []), data
        for sub in names[1:]:
            node = next((o for o in schema if o["name"] == sub and o["type"] in (1, 2)), None)
            if node is None:
                raise AssertionError(f"/{path}: no subcommand {sub!r}")
            child = {"name": sub, "type": node["type"], "options": []}
            container["options"] = [child]
            container, schema = child, node.get("options", [])
        container["options"] = self._build_options(schema, options, focused, resolved)
        if resolved:
            data["resolved"] = resolved
        return data

    def _interaction_payload(self, itype: int, guild: Optional[FakeGuild], channel: dict, user: dict, data: dict) -> dict:
        payload: dict[str, Any] = {
            "id": str(self.ids.next()), "application_id": str(self.application_id), "type": itype, "data": data,
            "channel_id": channel["id"], "channel": channel, "token": "itoken-" + secrets.token_urlsafe(24),
            "version": 1, "locale": "en-US", "entitlements": [], "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(guild.permissions(int(self.bot_user["id"])) if guild else 0),
        }
        if guild is not None:
            member = dict(guild.members[int(user["id"])])
            member["permissions"] = str(guild.permissions(int(user["id"])))
            payload.update(
                guild_id=str(guild.id), member=member, guild_locale="en-US", context=0,
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                authorizing_integration_owners={"0": str(guild.id)},
            )
        else:
            payload.update(user=user, context=1, authorizing_integration_owners={"1": user["id"]})
        return payload

    async def _dispatch_interaction(self, payload: dict) -> FakeInteraction:
        interaction = FakeInteraction(self, payload)
        self.interactions[interaction.token] = interaction
        conn = self.shard_connection(int(payload["guild_id"]) if "guild_id" in payload else None)
        interaction.dispatched_at = time.monotonic()
        await conn.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def slash(self, channel: dict, user: dict, path: str, /, **options: Any) -> FakeInteraction:
        """Invoke ``/path`` (e.g. ``"ask"`` or ``"article add"``) with options, as ``user`` in ``channel``.

        Discord lets admins override a command's default permissions per server, so (like Discord with such
        an override) this does not filter on ``default_member_permissions``: the bot must check at run time.
        """
        guild = self.guild_of_channel(int(channel["id"]))
        data = self._command_data(guild, path, options, None)
        return await self._dispatch_interaction(self._interaction_payload(2, guild, channel, user, data))

    async def autocomplete(self, channel: dict, user: dict, path: str, focused: str, /, **options: Any) -> FakeInteraction:
        guild = self.guild_of_channel(int(channel["id"]))
        data = self._command_data(guild, path, options, focused)
        return await self._dispatch_interaction(self._interaction_payload(4, guild, channel, user, data))

    @staticmethod
    def buttons(msg: dict) -> list[dict]:
        return [c for row in msg.get("components", []) for c in row.get("components", []) if c.get("type") == 2]

    def button(self, msg: dict, label: str) -> dict:
        for b in self.buttons(msg):
            if b.get("label") == label:
                return b
        raise AssertionError(f"no button {label!r} in {[b.get('label') for b in self.buttons(msg)]}")

    async def click(self, msg: dict, user: dict, label: str) -> FakeInteraction:
        """Click the button labelled ``label`` on the message ``msg``."""
        msg = self.messages[msg["id"]]
        button = self.button(msg, label)
        if button.get("style") == 5 or "custom_id" not in button:
            raise AssertionError("link buttons do not send interactions")
        if button.get("disabled"):
            raise AssertionError(f"button {label!r} is disabled")
        channel = self.channels[int(msg["channel_id"])]
        guild = self.guild_of_channel(int(channel["id"]))
        data = {"custom_id": button["custom_id"], "component_type": 2}
        payload = self._interaction_payload(3, guild, channel, user, data)
        payload["message"] = self.public(msg)
        return await self._dispatch_interaction(payload)

    async def submit_modal(self, opened_by: FakeInteraction, user: dict, **values: str) -> FakeInteraction:
        """Fill in and submit the modal the bot opened in response to ``opened_by``."""
        modal = opened_by.modal
        if modal is None:
            raise AssertionError("the bot did not open a modal")
        rows = []
        inputs = [c for row in modal["components"] for c in row["components"]]
        for comp in inputs:
            cid = comp["custom_id"]
            key = next((k for k in values if k == cid or k == comp.get("label", "").lower()), None)
            value = values.get(key, "") if key else ""
            if comp.get("required", True) and not value:
                raise AssertionError(f"modal field {comp.get('label')!r} is required")
            if len(value) > comp.get("max_length", 4000):
                raise AssertionError(f"modal field {comp.get('label')!r} is limited to {comp.get('max_length')}")
            rows.append({"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value}]})
        channel = opened_by.payload["channel"]
        guild = self.guild_of_channel(int(channel["id"]))
        payload = self._interaction_payload(5, guild, channel, user, {"custom_id": modal["custom_id"], "components": rows})
        return await self._dispatch_interaction(payload)

    # ------------------------------------------------------------------ REST

    def _check_message_payload(self, p: dict, *, partial: bool = False) -> None:
        content = p.get("content")
        if content is not None and len(content) > MAX_CONTENT:
            raise PayloadError(f"content: must be {MAX_CONTENT} or fewer in length ({len(content)})")
        embeds = p.get("embeds")
        if embeds is not None:
            if len(embeds) > MAX_EMBEDS:
                raise PayloadError("embeds: must be 10 or fewer")
            total = 0
            for i, e in enumerate(embeds):
                size = 0
                for key, limit in EMBED_LIMITS.items():
                    obj: Any = e
                    for part in key.split("."):
                        obj = obj.get(part) if isinstance(obj, dict) else None
                    if obj is not None:
                        if len(obj) > limit:
                            raise PayloadError(f"embeds.{i}.{key}: must be {limit} or fewer in length ({len(obj)})")
                        size += len(obj)
                fields = e.get("fields", [])
                if len(fields) > MAX_FIELDS:
                    raise PayloadError(f"embeds.{i}.fields: must be 25 or fewer")
                for f in fields:
                    if not f.get("name") or not f.get("value"):
                        raise PayloadError(f"embeds.{i}.fields: name and value are required")
                    if len(f["name"]) > MAX_FIELD_NAME or len(f["value"]) > MAX_FIELD_VALUE:
                        raise PayloadError(f"embeds.{i}.fields: field too long")
                    size += len(f["name"]) + len(f["value"])
                url = e.get("url")
                if url is not None and not url.startswith(("http://", "https://")):
                    raise PayloadError(f"embeds.{i}.url: Not a well formed URL.")
                total += size
            if total > MAX_EMBED_TOTAL:
                raise PayloadError(f"embeds: total size must be {MAX_EMBED_TOTAL} or fewer ({total})")
        comps = p.get("components")
        if comps is not None:
            if len(comps) > 5:
                raise PayloadError("components: must be 5 or fewer")
            seen = set()
            for row in comps:
                if row.get("type") != 1 or not 1 <= len(row.get("components", [])) <= 5:
                    raise PayloadError("components: action rows need 1 to 5 components")
                for c in row["components"]:
                    if c.get("type") == 2:
                        if len(c.get("label") or "") > MAX_BUTTON_LABEL:
                            raise PayloadError("button label too long")
                        if c.get("style") == 5:
                            if not str(c.get("url", "")).startswith(("http://", "https://")) or "custom_id" in c:
                                raise PayloadError("link buttons need a url and no custom_id")
                            continue
                    cid = c.get("custom_id")
                    if not cid or len(cid) > MAX_CUSTOM_ID or cid in seen:
                        raise PayloadError(f"components: custom_id invalid or duplicated ({cid!r})")
                    seen.add(cid)
        if not partial and not (content or embeds or comps or p.get("attachments") or p.get("poll") or p.get("sticker_ids")):
            raise PayloadError("Cannot send an empty message")

    async def _read_body(self, request: web.Request) -> tuple[Any, list]:
        ctype = request.headers.get("Content-Type", "")
        files: list = []
        if ctype.startswith("multipart/form-data"):
            payload = None
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                else:
                    files.append((part.name, part.filename, await part.read()))
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        if not ctype.startswith("application/json"):
            raise PayloadError(f"unsupported content type {ctype!r}")
        return json.loads(raw), files

    def serve_page(self, name: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> str:
        """Serve ``body`` at a URL on the stand-in (an article web page); return the URL."""
        self.pages[name] = (body, content_type)
        return f"{self.base_url}/pages/{name}"

    async def _page(self, request: web.Request) -> web.StreamResponse:
        self.page_requests.append(request.match_info["name"])
        item = self.pages.get(request.match_info["name"])
        if item is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=item[0], headers={"Content-Type": item[1]})

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        item = self.attachments.get(request.match_info["id"])
        if item is None:
            return web.Response(status=404, text="Not Found")
        data, ctype = item
        return web.Response(body=data, headers={"Content-Type": ctype})

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        rec = Request(request.method, path, dict(request.query), None, time.monotonic())
        self.requests.append(rec)
        try:
            if request.match_info["version"] != str(API_VERSION):
                resp = _error(404, 0, "404: Not Found")
                rec.status = resp.status
                return resp
            try:
                rec.json, rec.files = await self._read_body(request)
            except (ValueError, PayloadError) as exc:
                resp = _error(400, 50109, f"The request body contains invalid JSON. {exc}")
                rec.status = resp.status
                return resp
            is_interaction = path.startswith(("/interactions/", "/webhooks/"))
            if not is_interaction and request.headers.get("Authorization") != f"Bot {self.token}":
                resp = _error(401, 0, "401: Unauthorized")
                rec.status = resp.status
                return resp
            try:
                resp = await self._route(request.method, path, rec)
            except PayloadError as exc:
                resp = _json_response({"code": 50035, "message": "Invalid Form Body", "errors": str(exc)}, 400)
            rec.status = resp.status
            return resp
        finally:
            await self._notify()

    async def _route(self, method: str, path: str, rec: Request) -> web.Response:
        parts = path.strip("/").split("/")
        body = rec.json
        app = str(self.application_id)
        if method == "GET" and path == "/users/@me":
            return _json_response(self.bot_user)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json_response(
                {
                    "id": app, "name": "articlebot", "description": "", "icon": None, "bot_public": True,
                    "bot_require_code_grant": False, "owner": self.owner, "verify_key": "0" * 64, "team": None,
                    "flags": 0, "bot": self.bot_user, "summary": "",
                }
            )
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json_response(
                {
                    "url": self.gateway_url, "shards": self.recommended_shards,
                    "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
                }
            )
        # application commands
        if parts[0] == "applications" and len(parts) >= 3 and parts[-1] == "commands":
            if parts[1] != app:
                return _error(403, 50001, "Missing Access")
            scope = int(parts[3]) if len(parts) == 5 and parts[2] == "guilds" else None
            if method == "PUT":
                stored = []
                for cmd in body or []:
                    c = dict(cmd)
                    c.setdefault("type", 1)
                    c.update(id=str(self.ids.next()), application_id=app, version=str(self.ids.next()))
                    if scope is not None:
                        c["guild_id"] = str(scope)
                    stored.append(c)
                self.commands[scope] = stored
                return _json_response(stored)
            if method == "GET":
                return _json_response(self.commands.get(scope, []))
        # channel messages
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            channel = self.channels.get(int(parts[1]))
            if channel is None:
                return _error(404, 10003, "Unknown Channel")
            if method == "POST" and len(parts) == 3:
                self._check_message_payload(body or {})
                msg = self._message(int(parts[1]), self.bot_user, body or {})
                ref = (body or {}).get("message_reference")
                if ref:
                    target = self.messages.get(str(ref["message_id"]))
                    if target is None:
                        return _error(400, 50035, "Invalid Form Body: Unknown message")
                    msg["type"] = 19
                    msg["message_reference"] = {"type": 0, "message_id": target["id"], "channel_id": target["channel_id"]}
                    msg["referenced_message"] = self.public(target)
                for conn in self.connections:
                    guild_id = msg.get("guild_id")
                    if conn.identified.is_set() and (guild_id is None or conn.owns_guild(int(guild_id))):
                        await conn.dispatch("MESSAGE_CREATE", self._for_connection(conn, msg))
                return _json_response(self.public(msg))
            if len(parts) == 4:
                msg = self.messages.get(parts[3])
                if msg is None or msg["channel_id"] != channel["id"]:
                    return _error(404, 10008, "Unknown Message")
                if method == "GET":
                    return _json_response(self.public(msg))
                if method == "PATCH":
                    if msg["author"]["id"] != self.bot_user["id"]:
                        return _error(403, 50005, "Cannot edit a message authored by another user")
                    self._check_message_payload(body or {}, partial=True)
                    self._edit(msg, body or {})
                    return _json_response(self.public(msg))
                if method == "DELETE":
                    del self.messages[msg["id"]]
                    return web.Response(status=204)
        if parts[0] == "channels" and len(parts) == 3 and parts[2] == "typing" and method == "POST":
            return web.Response(status=204)
        # interaction callbacks
        if parts[0] == "interactions" and len(parts) == 4 and parts[3] == "callback" and method == "POST":
            return await self._callback(parts[1], parts[2], body or {}, rec)
        # webhooks (interaction follow-ups)
        if parts[0] == "webhooks" and len(parts) >= 3:
            if parts[1] != app:
                return _error(404, 10015, "Unknown Webhook")
            interaction = self.interactions.get(parts[2])
            if interaction is None or not interaction.callbacks:
                return _error(404, 10015, "Unknown Webhook")
            if method == "POST" and len(parts) == 3:
                return self._followup(interaction, body or {})
            if len(parts) == 5 and parts[3] == "messages":
                if parts[4] == "@original":
                    if interaction.original is None:
                        return _error(404, 10008, "Unknown Message")
                    msg = self.messages[interaction.original["id"]]
                elif int(parts[4]) in interaction.followups:
                    msg = self.messages[parts[4]]
                else:
                    return _error(404, 10008, "Unknown Message")
                if method == "GET":
                    return _json_response(self.public(msg))
                if method == "PATCH":
                    self._check_message_payload(body or {}, partial=True)
                    self._edit(msg, body or {})
                    return _json_response(self.public(msg))
                if method == "DELETE":
                    msg["_deleted"] = True
                    return web.Response(status=204)
        return _error(404, 0, "404: Not Found")

    def _edit(self, msg: dict, body: dict) -> None:
        for key in ("content", "embeds", "components", "attachments"):
            if key in body and body[key] is not None:
                msg[key] = body[key]
        if "allowed_mentions" in body:
            msg["_allowed_mentions"] = body["allowed_mentions"]
        msg["flags"] = msg.get("flags", 0) & ~LOADING
        msg["edited_timestamp"] = now_iso()
        msg.setdefault("_edits", []).append(body)

    def _followup(self, interaction: FakeInteraction, body: dict) -> web.Response:
        self._check_message_payload(body)
        original = self.messages[interaction.original["id"]] if interaction.original else None
        if (original is not None and original.get("flags", 0) & LOADING and not interaction.followups
                and not original.get("_deleted")):
            # Discord: the first follow-up after a deferred response replaces the "thinking" message,
            # inheriting its ephemeral state (unless that message was deleted: then it is a new message).
            flags = original["flags"] & EPHEMERAL
            self._edit(original, body)
            original["flags"] = flags
            return _json_response(self.public(original))
        channel_id = int(interaction.payload["channel_id"])
        msg = self._message(channel_id, self.bot_user, body, interaction=interaction)
        msg["flags"] = int(body.get("flags") or 0) & EPHEMERAL
        interaction.followups.append(int(msg["id"]))
        return _json_response(self.public(msg))

    async def _callback(self, iid: str, token: str, body: dict, rec: Request) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or str(interaction.id) != iid:
            return _error(404, 10062, "Unknown interaction")
        if rec.query.get("with_response") not in (None, "true", "1", "True"):
            return _error(400, 50035, "Invalid Form Body: with_response")
        if time.monotonic() - interaction.dispatched_at > self.interaction_timeout:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callbacks:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        ctype = body.get("type")
        data = body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[interaction.type]
        if ctype not in allowed:
            return _error(400, 50035, f"Invalid Form Body: callback type {ctype} for interaction type {interaction.type}")
        if ctype == 4:
            self._check_message_payload(data)
        elif ctype == 7:
            self._check_message_payload(data, partial=True)
        elif ctype == 8:
            choices = data.get("choices", [])
            if len(choices) > MAX_CHOICES or any(not (1 <= len(c["name"]) <= 100) for c in choices):
                raise PayloadError("choices: at most 25, names of 1 to 100 characters")
        elif ctype == 9:
            if not data.get("custom_id") or not data.get("title") or not data.get("components"):
                raise PayloadError("modal needs custom_id, title and components")
            if len(data["title"]) > 45:
                raise PayloadError("modal title: must be 45 or fewer in length")
        interaction.acknowledged_at = time.monotonic()
        interaction.callbacks.append({"type": ctype, "data": data, "at": interaction.acknowledged_at})
        flags = int(data.get("flags") or 0)
        msg = None
        if ctype in (4, 5):
            msg = self._message(int(interaction.payload["channel_id"]), self.bot_user, data if ctype == 4 else {}, interaction=interaction)
            msg["flags"] = (flags & EPHEMERAL) | (LOADING if ctype == 5 else 0)
            if ctype == 5:
                msg["_allowed_mentions"] = None
            interaction.original = msg
        elif ctype in (6, 7):
            # Deferred update / update: the "original response" is the message the component is on.
            target = self.messages[interaction.payload["message"]["id"]]
            interaction.original = target
            if ctype == 7:
                self._edit(target, data)
            msg = target if ctype == 7 else None
        result: dict[str, Any] = {"interaction": {"id": str(interaction.id), "type": interaction.type}}
        if msg is not None:
            result["interaction"].update(
                response_message_id=msg["id"], response_message_loading=ctype == 5,
                response_message_ephemeral=bool(msg["flags"] & EPHEMERAL),
            )
            result["resource"] = {"type": ctype, "message": self.public(msg)}
        else:
            result["resource"] = {"type": ctype}
        return _json_response(result)
