"""Actions to JSON and back, so the desk's decisions can wait in the outbox."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from helpbot.desk import actions
from helpbot.desk.events import ChatKind, ChatRef

_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        actions.SendText,
        actions.AnswerButton,
        actions.DeleteMessage,
        actions.EditMessage,
        actions.React,
        actions.PostToStaff,
        actions.SetTopicOpen,
        actions.RemoveStaffTopic,
        actions.StaffNotice,
        actions.ApproveJoin,
        actions.DeclineJoin,
        actions.RestrictMember,
        actions.LiftRestriction,
        actions.RemoveMember,
        actions.BlockMember,
        actions.UnblockMember,
        actions.HideComment,
        actions.Button,
        ChatRef,
    )
}


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        body = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__name__, **body}
    if isinstance(value, datetime):
        return {"__dt__": value.isoformat()}
    if isinstance(value, frozenset):
        return {"__set__": sorted(value)}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if not isinstance(value, dict):
        return value
    if "__dt__" in value:
        return datetime.fromisoformat(value["__dt__"])
    if "__set__" in value:
        return frozenset(value["__set__"])
    cls = _TYPES[value["__type__"]]
    fields = {k: decode(v) for k, v in value.items() if k != "__type__"}
    if cls is ChatRef:
        fields["kind"] = ChatKind(fields["kind"])
    return cls(**fields)


def encode_action(action: actions.Action) -> dict[str, Any]:
    encoded: dict[str, Any] = encode(action)
    return encoded


def decode_action(payload: dict[str, Any]) -> actions.Action:
    action: actions.Action = decode(payload)
    return action
