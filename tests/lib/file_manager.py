"""python3-dbusmock template: a file manager (org.freedesktop.FileManager1), so that "Show in
folder" (tauri-plugin-opener's reveal_item_in_dir, which calls ShowItems) reaches something on
the test session's bus; every call is in the mock's log. Used by tests/lib/session.sh --display."""

BUS_NAME = 'org.freedesktop.FileManager1'
MAIN_OBJ = '/org/freedesktop/FileManager1'
MAIN_IFACE = 'org.freedesktop.FileManager1'
SYSTEM_BUS = False


def load(mock, parameters):
    mock.AddMethods(MAIN_IFACE, [
        ('ShowItems', 'ass', '', ''),
        ('ShowFolders', 'ass', '', ''),
    ])
