#!/usr/bin/python3
"""Drops files on a top-level X11 window the way a file manager does (the XDND protocol, as a
drag source), for the end-to-end tests:

  xdnd_drop.py TITLE FILE...

Sends XdndEnter, XdndPosition (at the window's centre) and, once the target accepts,
XdndDrop; answers the target's request for the text/uri-list, and waits for XdndFinished.
Exits 0 when the target finished the drop, 1 when it refused or did not answer in time, 2 when
no window has that title."""
import sys
import time
import urllib.parse

from Xlib import X, Xatom, display, protocol

TIMEOUT = 10.0


def find(d, title):
    stack = [d.screen().root]
    while stack:
        window = stack.pop()
        try:
            if window.get_wm_name() == title:
                return window
            stack.extend(window.query_tree().children)
        except Exception:  # windows can vanish while we walk
            continue
    return None


def aware(d, window):
    """The window itself or the ancestor-free child that carries XdndAware (GTK puts it on the
    top-level)."""
    atom = d.intern_atom("XdndAware")
    stack = [window]
    while stack:
        w = stack.pop()
        prop = w.get_full_property(atom, Xatom.ATOM)
        if prop is not None:
            return w, int(prop.value[0])
        stack.extend(w.query_tree().children)
    return None, 0


def send(d, target, source, name, data):
    event = protocol.event.ClientMessage(
        window=target,
        client_type=d.intern_atom(name),
        data=(32, (source.id, *data) + (0,) * (4 - len(data))),
    )
    target.send_event(event, event_mask=X.NoEventMask)
    d.flush()


def main():
    title, paths = sys.argv[1], sys.argv[2:]
    d = display.Display()
    window = find(d, title)
    if window is None:
        return 2
    target, version = aware(d, window)
    if target is None:
        print("the window is not an XDND target", file=sys.stderr)
        return 1
    version = min(version, 5)
    root = d.screen().root
    source = root.create_window(0, 0, 1, 1, 0, X.CopyFromParent, X.InputOutput)
    uri_list = d.intern_atom("text/uri-list")
    selection = d.intern_atom("XdndSelection")
    copy = d.intern_atom("XdndActionCopy")
    source.set_selection_owner(selection, X.CurrentTime)
    geometry = target.get_geometry()
    origin = target.translate_coords(root, 0, 0)
    x = -origin.x + geometry.width // 2
    y = -origin.y + geometry.height // 2
    payload = "".join(
        "file://" + urllib.parse.quote(p) + "\r\n" for p in paths
    ).encode()

    send(d, target, source, "XdndEnter", (version << 24, uri_list, 0, 0))
    send(d, target, source, "XdndPosition", (0, (x << 16) | y, X.CurrentTime, copy))
    deadline = time.time() + TIMEOUT
    dropped = False
    while time.time() < deadline:
        if not d.pending_events():
            time.sleep(0.01)
            continue
        event = d.next_event()
        if event.type == X.ClientMessage:
            name = d.get_atom_name(event.client_type)
            values = event.data[1]
            if name == "XdndStatus" and not dropped:
                if values[1] & 1:
                    send(d, target, source, "XdndDrop", (0, X.CurrentTime))
                    dropped = True
                else:
                    send(d, target, source, "XdndPosition", (0, (x << 16) | y, X.CurrentTime, copy))
            elif name == "XdndFinished":
                return 0
        elif event.type == X.SelectionRequest:
            requestor = event.requestor
            prop = event.property or event.target
            if event.target == uri_list:
                requestor.change_property(prop, uri_list, 8, payload)
            else:
                prop = X.NONE
            notify = protocol.event.SelectionNotify(
                time=event.time,
                requestor=requestor,
                selection=event.selection,
                target=event.target,
                property=prop,
            )
            requestor.send_event(notify)
            d.flush()
    print("no XdndFinished within %ss (dropped: %s)" % (TIMEOUT, dropped), file=sys.stderr)
    send(d, target, source, "XdndLeave", ())
    return 1


if __name__ == "__main__":
    sys.exit(main())
