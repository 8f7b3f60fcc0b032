//! NetworkManager for the tests: python3-dbusmock's NetworkManager template on the test
//! session's bus, which a child given `DBUS_SYSTEM_BUS_ADDRESS` = that bus takes for its system
//! bus.

/// python3-dbusmock's NetworkManager, given the `Metered` property the test sets; stopped when
/// dropped. One at a time: the tests share the session's bus, where one process owns the name.
pub struct NetworkManagerStandIn {
    child: std::process::Child,
    _turn: std::sync::MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

const NM: &str = "org.freedesktop.NetworkManager";
const NM_PATH: &str = "/org/freedesktop/NetworkManager";

impl NetworkManagerStandIn {
    pub fn start(metered: u32) -> NetworkManagerStandIn {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        // Debian's python3-dbusmock belongs to the system Python.
        let child = std::process::Command::new("/usr/bin/python3")
            .args([
                "-m",
                "dbusmock",
                "--session",
                "--template",
                "networkmanager",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("python3-dbusmock starts (tests/lib/session.sh needs it too)");
        let stand_in = NetworkManagerStandIn { child, _turn: turn };
        let owned = std::process::Command::new("gdbus")
            .args(["wait", "--session", "--timeout", "30", NM])
            .status()
            .expect("gdbus runs");
        assert!(owned.success(), "the NetworkManager stand-in took its name");
        stand_in.call(&[
            "org.freedesktop.DBus.Mock.AddProperty",
            &format!("string:{NM}"),
            "string:Metered",
            &format!("variant:uint32:{metered}"),
        ]);
        stand_in
    }

    pub fn set_metered(&self, value: u32) {
        self.call(&[
            "org.freedesktop.DBus.Properties.Set",
            &format!("string:{NM}"),
            "string:Metered",
            &format!("variant:uint32:{value}"),
        ]);
    }

    fn call(&self, method_and_args: &[&str]) {
        let done = std::process::Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                &format!("--dest={NM}"),
                NM_PATH,
            ])
            .args(method_and_args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("dbus-send runs");
        assert!(done.success(), "{method_and_args:?}");
    }
}

impl Drop for NetworkManagerStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The bus lets the name go a moment after the process: the next stand-in must not
        // find this one's name still owned.
        let released = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while name_owned() && std::time::Instant::now() < released {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn name_owned() -> bool {
    std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &format!("string:{NM}"),
        ])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
}
