#!/usr/bin/python3
"""Acts on a top-level X11 window by title, as a window manager would, for the end-to-end tests:

  x11_window.py close TITLE   send WM_DELETE_WINDOW (the title bar's close button)
  x11_window.py state TITLE   print "viewable" or "hidden"

Exits 2 when no window has that title."""
import sys

from Xlib import X, display, protocol


def find(d, title):
    """The top-level windows whose WM_NAME is TITLE (GTK puts them under a frame-less root)."""
    found = []
    stack = [d.screen().root]
    while stack:
        window = stack.pop()
        try:
            if window.get_wm_name() == title:
                found.append(window)
            stack.extend(window.query_tree().children)
        except Exception:  # windows can vanish while we walk
            continue
    return found


def main():
    action, title = sys.argv[1], sys.argv[2]
    d = display.Display()
    windows = find(d, title)
    if not windows:
        sys.exit(2)
    if action == "close":
        protocols = d.intern_atom("WM_PROTOCOLS")
        delete = d.intern_atom("WM_DELETE_WINDOW")
        for window in windows:
            event = protocol.event.ClientMessage(
                window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
            )
            window.send_event(event, event_mask=X.NoEventMask)
        d.flush()
    elif action == "list":
        for w in windows:
            g = w.get_geometry()
            print(w.id, w.get_attributes().map_state, g.width, g.height, w.get_wm_class())
    elif action == "state":
        viewable = any(w.get_attributes().map_state == X.IsViewable for w in windows)
        print("viewable" if viewable else "hidden")


if __name__ == "__main__":
    main()
