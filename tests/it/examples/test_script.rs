//! `.ci/test`, the README's test command, on a machine without the
//! reference tools and with no way to install them (no `apt-get`, no
//! `python3`, no `npm` on PATH): it stops before any test, naming each
//! missing tool with the command that installs it.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

#[test]
fn without_its_reference_tools_the_test_command_names_them_and_stops() {
    let bin = tempfile::tempdir().unwrap();
    // Only what the script itself runs on.
    for tool in ["bash", "dirname", "id", "sort"] {
        let found = ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(tool)).find(|p| p.exists());
        symlink(found.unwrap_or_else(|| panic!("no {tool}")), bin.path().join(tool)).unwrap();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(bin.path().join("bash"))
        .arg(root.join(".ci/test"))
        .env_clear()
        .env("PATH", bin.path())
        .env("HOME", bin.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "", "no test ran");
    assert!(
        stderr.starts_with("error: the tests compare with reference tools that are missing here"),
        "{stderr}"
    );
    let uid = Command::new("id").arg("-u").output().unwrap().stdout;
    let apt = if uid == b"0\n" { "apt-get" } else { "sudo apt-get" };
    for (tool, how) in [
        ("Debian package golang-go", format!("{apt} install golang-go")),
        ("Debian package bsdutils", format!("{apt} install bsdutils")),
        ("Debian package default-jdk-headless", format!("{apt} install default-jdk-headless")),
        ("Debian package git-lfs", format!("{apt} install git-lfs")),
        ("git-filter-repo", "python3 -m pip install --user git-filter-repo==2.47.0".into()),
        ("uv", "python3 -m pip install --user uv==0.13.9".into()),
    ] {
        assert!(stderr.contains(&format!("\n  {tool}: {how}\n")), "names {tool}:\n{stderr}");
    }
}
