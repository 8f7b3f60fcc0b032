//! The window's command table, generated from the commands themselves: every
//! `#[tauri::command]` in `src/commands/` is read with `syn`, and its name, arguments (as Tauri
//! takes them: camelCase, without the `State`/`AppHandle` the shell injects) and result (the
//! `Ok` type) become one entry of `Commands` in ui/src/ipc/generated.ts. `ui/src/ipc/tauri.ts`
//! calls commands only through that table, so a renamed command, argument or result type fails
//! the UI's type check instead of at run time. Argument and result types are written as their
//! Rust names, which ts-rs declares in the same file (a type it does not declare fails `tsc`).

use std::path::Path;
use syn::{FnArg, GenericArgument, Item, Pat, PathArguments, ReturnType, Type};

/// Types the shell fills in itself; the web view never passes them.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow"];

/// One command as the web view calls it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Command {
    pub name: String,
    /// Each argument's name (camelCase) and TypeScript type.
    pub args: Vec<(String, String)>,
    /// The TypeScript type of what it answers.
    pub result: String,
}

/// Each command in `dir`'s files, sorted by name.
pub fn commands(dir: &Path) -> Vec<Command> {
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let parsed = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for item in parsed.items {
            let Item::Fn(function) = item else { continue };
            let is_command = function.attrs.iter().any(|a| {
                let path = a.path();
                path.segments.len() == 2
                    && path.segments[0].ident == "tauri"
                    && path.segments[1].ident == "command"
            });
            if !is_command {
                continue;
            }
            let mut args = Vec::new();
            for input in &function.sig.inputs {
                let FnArg::Typed(typed) = input else { continue };
                if INJECTED.contains(&last_name(&typed.ty).as_str()) {
                    continue;
                }
                let Pat::Ident(name) = &*typed.pat else {
                    panic!("{}: a command argument must be a name", file.display())
                };
                args.push((camel_case(&name.ident.to_string()), ts_type(&typed.ty)));
            }
            let result = match &function.sig.output {
                ReturnType::Default => "void".to_owned(),
                ReturnType::Type(_, ty) => match ok_type(ty) {
                    Some(ok) => ts_type(ok),
                    None => ts_type(ty),
                },
            };
            found.push(Command {
                name: function.sig.ident.to_string(),
                args,
                result,
            });
        }
    }
    found.sort();
    found
}

/// The `Commands` interface for generated.ts.
pub fn commands_table(dir: &Path) -> String {
    let entries: Vec<String> = commands(dir)
        .into_iter()
        .map(|Command { name, args, result }| {
            let args: Vec<String> = args.iter().map(|(n, t)| format!(" {n}: {t}")).collect();
            format!(
                "  {name}: {{ args: {{{}{}}}; result: {result} }};\n",
                args.join(","),
                if args.is_empty() { "" } else { " " }
            )
        })
        .collect();
    format!(
        "/** Each command the shell answers (src-tauri/src/commands/): its arguments, as Tauri \
         takes them, and its result. */\n\
         export interface Commands {{\n{}}}\n",
        entries.concat()
    )
}

/// `snake_case` to `camelCase`, as Tauri maps command arguments by default.
fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn last_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        Type::Reference(reference) => last_name(&reference.elem),
        _ => String::new(),
    }
}

/// The type arguments of a path type's last segment (`Vec<T>` -> [T]).
fn type_arguments(ty: &Type) -> Vec<&Type> {
    let Type::Path(path) = ty else { return vec![] };
    let Some(last) = path.path.segments.last() else {
        return vec![];
    };
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return vec![];
    };
    arguments
        .args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// `T` of a `Result<T, _>`.
fn ok_type(ty: &Type) -> Option<&Type> {
    if last_name(ty) != "Result" {
        return None;
    }
    type_arguments(ty).into_iter().next()
}

fn ts_type(ty: &Type) -> String {
    if let Type::Tuple(tuple) = ty
        && tuple.elems.is_empty()
    {
        return "void".into();
    }
    let name = last_name(ty);
    let inner = || {
        let arguments = type_arguments(ty);
        assert_eq!(arguments.len(), 1, "{name} takes one type");
        ts_type(arguments[0])
    };
    match name.as_str() {
        "String" | "str" | "PathBuf" => "string".into(),
        "bool" => "boolean".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" | "f64" => "number".into(),
        "Vec" => format!("{}[]", inner()),
        "Option" => format!("{} | null", inner()),
        "" => panic!("a command type must be a named type"),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_in_the_code_is_registered_in_the_build_script() {
        // build.rs's COMMANDS makes the permissions: a command missing there is refused at run
        // time, which no type check would have caught.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let build = std::fs::read_to_string(root.join("src-tauri/build.rs")).unwrap();
        let listed: Vec<&str> = build
            .split("const COMMANDS: &[&str] = &[")
            .nth(1)
            .and_then(|rest| rest.split("];").next())
            .unwrap()
            .split(',')
            .map(|s| s.trim().trim_matches('"'))
            .filter(|s| !s.is_empty())
            .collect();
        let mut listed: Vec<String> = listed.into_iter().map(str::to_owned).collect();
        listed.sort();
        let found: Vec<String> = commands(&root.join("src-tauri/src/commands"))
            .into_iter()
            .map(|command| command.name)
            .collect();
        assert_eq!(found, listed);
    }

    #[test]
    fn arguments_were_named_and_typed_as_tauri_takes_them() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let all = commands(&root.join("src-tauri/src/commands"));
        let share = all.iter().find(|c| c.name == "share_link").unwrap();
        assert!(
            share
                .args
                .contains(&("expiresSecs".to_owned(), "number".to_owned())),
            "{share:?}"
        );
        assert_eq!(share.result, "string");
        let pick = all.iter().find(|c| c.name == "add_from_picker").unwrap();
        assert!(
            pick.args
                .contains(&("destination".to_owned(), "string | null".to_owned()))
        );
        assert!(pick.args.iter().all(|(n, _)| n != "core" && n != "app"));
    }
}
