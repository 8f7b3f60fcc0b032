#!/usr/bin/python3
"""Presses keys in a top-level X11 window, as a person at the keyboard would (XTEST), for the
end-to-end tests that must answer a native dialog the web driver cannot reach:

  x_keys.py TITLE KEY...

Waits up to 10 s for a window whose title is TITLE, gives it the input focus, then presses each
KEY (an X keysym name: Return, Escape, Tab; "ctrl+l" holds Control; "text:/tmp/Ab" types those
characters, holding Shift where the character needs it). Exits 0 once the keys are
sent, 2 when no such window appeared."""
import sys
import time

from Xlib import X, XK, display
from Xlib.ext import xtest

TIMEOUT = 10.0


def find(d, title):
    stack = [d.screen().root]
    while stack:
        window = stack.pop()
        try:
            if window.get_wm_name() == title:
                attrs = window.get_attributes()
                if attrs.map_state == X.IsViewable:
                    return window
            stack.extend(window.query_tree().children)
        except Exception:  # windows can vanish while we walk
            continue
    return None


def press(d, name):
    *mods, key = name.split("+")
    codes = []
    for part in [*("Control_L" if m == "ctrl" else m for m in mods), key]:
        code = d.keysym_to_keycode(XK.string_to_keysym(part))
        if code == 0:
            raise SystemExit(f"x_keys.py: no key named {part!r}")
        codes.append(code)
    for code in codes:
        xtest.fake_input(d, X.KeyPress, code)
    for code in reversed(codes):
        xtest.fake_input(d, X.KeyRelease, code)
    d.sync()


# Characters whose keysym name is not the character itself.
NAMES = {"/": "slash", ".": "period", "-": "minus", "_": "underscore", " ": "space", "~": "asciitilde"}


def type_text(d, text):
    shift = d.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
    for char in text:
        keysym = XK.string_to_keysym(NAMES.get(char, char))
        code = d.keysym_to_keycode(keysym)
        if keysym == 0 or code == 0:
            raise SystemExit(f"x_keys.py: cannot type {char!r}")
        shifted = d.keycode_to_keysym(code, 0) != keysym
        if shifted:
            xtest.fake_input(d, X.KeyPress, shift)
        xtest.fake_input(d, X.KeyPress, code)
        xtest.fake_input(d, X.KeyRelease, code)
        if shifted:
            xtest.fake_input(d, X.KeyRelease, shift)
        d.sync()
        time.sleep(0.01)


def main():
    title, keys = sys.argv[1], sys.argv[2:]
    d = display.Display()
    deadline = time.monotonic() + TIMEOUT
    window = find(d, title)
    while window is None and time.monotonic() < deadline:
        time.sleep(0.1)
        window = find(d, title)
    if window is None:
        print(f"x_keys.py: no window titled {title!r}", file=sys.stderr)
        return 2
    # A dialog takes a moment after mapping before it handles keys.
    time.sleep(0.5)
    window.set_input_focus(X.RevertToParent, X.CurrentTime)
    d.sync()
    for key in keys:
        if key.startswith("text:"):
            type_text(d, key[len("text:"):])
        else:
            press(d, key)
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
