"""A text field that applies every key in the order it arrived.

Textual's ``Input`` inserts printable characters in its own key handler but leaves editing keys
(Left, End, Backspace, Delete, Home…) to its bindings, which run only after the key event has
bubbled up to the app. When several keys arrive in one burst (common over SSH), the characters
behind an editing key are inserted before that key takes effect: ``abc`` then Left+X in one
burst gives ``abcX`` instead of ``abXc``. (Reported upstream as Textual issue 6605.)

``TextInput`` runs the field's own, non-priority bindings directly in its key handler, so each
key takes effect before the next one is read; Tab and Shift+Tab move focus at once, and a key that
arrives after focus has moved on is handed to the field that now has it. Priority bindings (the app's) were already
checked by the app before the key reached the field, so nothing else changes. Every text field
of the interface uses this class; tests/test_tui_key_bursts.py feeds bursts through a real pty.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding, BindingsMap
from textual.widgets import Input


def _own_bindings(cls: type) -> BindingsMap:
    """The bindings a field class declares (``BINDINGS`` along its class hierarchy), merged the way
    Textual merges them: for each key, the most derived class's bindings replace its bases'."""
    keys: dict[str, list[Binding]] = {}
    for base in reversed(cls.__mro__):
        declared = BindingsMap(base.__dict__.get("BINDINGS", []))
        keys.update(declared.key_to_bindings)
    return BindingsMap.from_keys(keys)


class TextInput(Input):
    """``Input`` whose editing keys keep their place among the characters typed around them.

    ``next_on_enter``: Enter also moves focus to the next field at once (the form's Submitted handler
    moving it later would leave the keys typed behind Enter in this field)."""

    _field_bindings: dict[type, BindingsMap] = {}

    def __init__(self, *args, next_on_enter: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.next_on_enter = next_on_enter

    async def on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not None and focused is not self:
            # Focus moved on earlier in this burst (Tab): the key was typed for the field that has
            # focus now, so it goes there, after the keys before it.
            event.stop()
            event.prevent_default()
            focused.post_message(events.Key(event.key, event.character))
            return
        if event.key in ("tab", "shift+tab"):
            # Move focus now, not after the key has bubbled up to the app: the keys behind it in
            # the same burst then find the next field focused.
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        if event.is_printable:
            return  # Input inserts it in order
        if event.key == "enter" and self.next_on_enter:
            event.stop()
            event.prevent_default()
            await self.app.run_action("submit", self)  # Submitted, as Enter always posts it
            self.screen.focus_next()
            return
        bindings = self._field_bindings.get(type(self))
        if bindings is None:
            bindings = self._field_bindings[type(self)] = _own_bindings(type(self))
        for binding in bindings.key_to_bindings.get(event.key, ()):
            if binding.priority:
                continue
            if await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
