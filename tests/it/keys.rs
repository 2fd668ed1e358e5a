//! Keys as a user meets them: `planledger key new` and `key show` run as the
//! real binary, and the files they write read back through `keys`, the API
//! the signing code will use. What is checked is what a user would check:
//! the private file is theirs alone, nothing is ever replaced, a passphrase
//! is needed and checked, the fingerprint printed is the key's, and every
//! refusal is one plain line that names the file and writes nothing.
//! Interoperability with the real `openssl` and `ssh-keygen` is in
//! `tests/key_interop.rs`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use ed25519_dalek::Signer;
use planledger::keys::{
    self, Algorithm, Encoding, Format, KeyError, KeyFile, NotAKey, PublicKeyFile, SigningKeyFile,
};
use zeroize::Zeroizing;

use crate::support::{Run, run};

const PASSPHRASE_VAR: &str = "PLANLEDGER_KEY_PASSPHRASE";

/// A temporary directory to make keys in.
struct Keys {
    tmp: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            tmp: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `planledger ARGS` in the directory, with no passphrase in the
    /// environment unless `passphrase` gives one.
    fn command(&self, args: &[&str], passphrase: Option<&str>) -> Process {
        let mut process = Process::new(env!("CARGO_BIN_EXE_planledger"));
        process
            .current_dir(self.tmp.path())
            .env_remove(PASSPHRASE_VAR)
            .args(args);
        if let Some(passphrase) = passphrase {
            process.env(PASSPHRASE_VAR, passphrase);
        }
        process
    }

    fn run(&self, args: &[&str], passphrase: Option<&str>) -> Run {
        run(&mut self.command(args, passphrase))
    }

    fn ok(&self, args: &[&str], passphrase: Option<&str>) -> Run {
        let out = self.run(args, passphrase);
        assert_eq!(
            out.code, 0,
            "planledger {args:?} failed:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    /// Runs a command that must be refused: exit 1, one line on stderr
    /// that is an error message, not Debug output.
    fn refused(&self, args: &[&str], passphrase: Option<&str>) -> String {
        let out = self.run(args, passphrase);
        assert_eq!(out.code, 1, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
        assert!(!out.stderr.contains("{ "), "Debug output: {}", out.stderr);
        out.stderr
    }

    /// Makes a key pair with `key new`, returning the private key's path.
    fn new_key(&self, file: &str, name: &str, passphrase: Option<&str>) -> PathBuf {
        let mut args = vec!["key", "new", "--name", name, "-o", file];
        if passphrase.is_some() {
            args.push("--passphrase");
        }
        self.ok(&args, passphrase);
        self.path(file)
    }

    fn write(&self, name: &str, bytes: &[u8], mode: u32) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, bytes).expect("the file is written");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}

/// The value after `label:` in `key new` or `key show` output.
fn field<'a>(out: &'a Run, label: &str) -> &'a str {
    out.stdout
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|rest| rest.trim_start_matches(':').trim())
        .unwrap_or_else(|| panic!("no '{label}' in:\n{}", out.stdout))
}

fn given(passphrase: &'static str) -> impl FnMut(&Path) -> Result<Zeroizing<String>, KeyError> {
    move |_| Ok(Zeroizing::new(passphrase.to_string()))
}

fn read_private(path: &Path) -> Result<SigningKeyFile, KeyError> {
    SigningKeyFile::read(path, &mut keys::no_passphrase)
}

#[test]
fn key_new_writes_a_private_key_only_its_owner_can_read_and_its_public_key_beside_it() {
    let keys = Keys::new();
    let out = keys.ok(
        &[
            "key",
            "new",
            "--name",
            "Sam Okafor (assurance lead)",
            "-o",
            "sam.pem",
        ],
        None,
    );
    let private = keys.path("sam.pem");
    let public = keys.path("sam.pem.pub");
    assert_eq!(mode(&private), 0o600);

    let text = fs::read_to_string(&private).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    let read = read_private(&private).unwrap();
    assert_eq!(
        read.format,
        Format::Pkcs8V1 {
            encoding: Encoding::Pem
        }
    );

    let pub_text = fs::read_to_string(&public).unwrap();
    assert!(
        pub_text.starts_with("Name: Sam Okafor (assurance lead)\n-----BEGIN PUBLIC KEY-----\n")
    );
    let public_key = PublicKeyFile::read(&public).unwrap();
    assert_eq!(public_key.key, read.key.verifying_key());
    assert_eq!(
        public_key.name.as_deref(),
        Some("Sam Okafor (assurance lead)")
    );

    // The fingerprint printed is the key's, and names it in both files.
    assert_eq!(
        field(&out, "fingerprint"),
        keys::fingerprint(&public_key.key)
    );
    assert_eq!(field(&out, "name"), "Sam Okafor (assurance lead)");
    assert_eq!(keys::fingerprint(&public_key.key).len(), 16);
}

#[test]
fn key_new_writes_the_public_key_where_asked() {
    let keys = Keys::new();
    fs::create_dir(keys.path("outbox")).unwrap();
    keys.ok(
        &[
            "key",
            "new",
            "--name",
            "Sam",
            "-o",
            "sam.pem",
            "--pub",
            "outbox/sam-public.pem",
        ],
        None,
    );
    let private = read_private(&keys.path("sam.pem")).unwrap();
    let public = keys::read_public(&keys.path("outbox/sam-public.pem")).unwrap();
    assert_eq!(public, private.key.verifying_key());
    assert!(!keys.path("sam.pem.pub").exists());
}

#[test]
fn two_new_keys_differ() {
    let keys = Keys::new();
    let a = read_private(&keys.new_key("a.pem", "A", None)).unwrap();
    let b = read_private(&keys.new_key("b.pem", "B", None)).unwrap();
    assert_ne!(a.key.verifying_key(), b.key.verifying_key());
}

#[test]
fn key_new_never_replaces_a_file_and_writes_nothing_when_refused() {
    let keys = Keys::new();
    let precious = keys.write("sam.pem", b"someone's key", 0o600);
    let error = keys.refused(&["key", "new", "--name", "Sam", "-o", "sam.pem"], None);
    assert!(error.contains("sam.pem exists"), "{error}");
    assert_eq!(fs::read(&precious).unwrap(), b"someone's key");
    assert!(!keys.path("sam.pem.pub").exists());

    // The public file's name taken: neither file is written.
    let taken = keys.write("ann.pem.pub", b"Ann's public key", 0o644);
    keys.refused(&["key", "new", "--name", "Ann", "-o", "ann.pem"], None);
    assert!(!keys.path("ann.pem").exists());
    assert_eq!(fs::read(&taken).unwrap(), b"Ann's public key");

    // Bad input: nothing written either.
    for args in [
        &["key", "new", "--name", "", "-o", "x.pem"][..],
        &["key", "new", "--name", "Two\nlines", "-o", "x.pem"],
        &["key", "new", "--name", "X", "-o", "x.pem", "--pub", "x.pem"],
        &["key", "new", "--name", "X", "-o", "missing-dir/x.pem"],
        &["key", "new", "--name", "X", "-o", "-"],
    ] {
        keys.refused(args, None);
    }
    keys.refused(
        &["key", "new", "--name", "X", "-o", "x.pem", "--passphrase"],
        Some(""),
    );
    let left: Vec<_> = fs::read_dir(keys.tmp.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(
        left,
        ["ann.pem.pub", "sam.pem"],
        "no temporary file is left either"
    );
}

#[test]
fn an_encrypted_key_reads_back_with_its_passphrase_and_never_without() {
    let keys = Keys::new();
    let private = keys.new_key("enc.pem", "Sam", Some("correct horse battery"));
    assert_eq!(mode(&private), 0o600);
    let text = fs::read_to_string(&private).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
        "{text}"
    );
    assert!(!text.contains("-----BEGIN PRIVATE KEY-----"));

    let read = SigningKeyFile::read(&private, &mut given("correct horse battery")).unwrap();
    let public = keys::read_public(&keys.path("enc.pem.pub")).unwrap();
    assert_eq!(read.key.verifying_key(), public);
    assert!(matches!(read.format, Format::EncryptedPkcs8 { .. }));

    assert!(matches!(
        SigningKeyFile::read(&private, &mut given("wrong horse battery")),
        Err(KeyError::WrongPassphrase { .. })
    ));
    assert!(matches!(
        read_private(&private),
        Err(KeyError::NoPassphrase { .. })
    ));

    // The command line: the right passphrase shows the key; a wrong or an
    // empty one is one line.
    let shown = keys.ok(&["key", "show", "enc.pem"], Some("correct horse battery"));
    assert_eq!(field(&shown, "fingerprint"), keys::fingerprint(&public));
    let error = keys.refused(&["key", "show", "enc.pem"], Some("wrong horse battery"));
    assert!(error.contains("wrong passphrase"), "{error}");
    let error = keys.refused(&["key", "show", "enc.pem"], Some(""));
    assert!(error.contains(PASSPHRASE_VAR), "{error}");
}

#[test]
fn key_show_prints_the_public_key_an_admin_registers() {
    let keys = Keys::new();
    let private = keys.new_key("sam.pem", "Sam Okafor", None);
    let key = read_private(&private).unwrap().key;
    for (file, kind) in [
        ("sam.pem", "private key, PKCS#8 v1, PEM"),
        ("sam.pem.pub", "public key, SPKI, PEM"),
    ] {
        let out = keys.ok(&["key", "show", file], None);
        assert_eq!(field(&out, "kind"), kind);
        assert_eq!(
            field(&out, "fingerprint"),
            keys::fingerprint(&key.verifying_key())
        );
        // The PEM block printed is a public key file in its own right.
        let pem = &out.stdout[out.stdout.find("-----BEGIN PUBLIC KEY-----").unwrap()..];
        let saved = keys.write("registered.pem", pem.as_bytes(), 0o644);
        assert_eq!(keys::read_public(&saved).unwrap(), key.verifying_key());
        fs::remove_file(saved).unwrap();
    }
}

#[test]
fn a_private_key_others_can_read_is_refused_naming_its_permissions() {
    let keys = Keys::new();
    let private = keys.new_key("sam.pem", "Sam", None);
    for loose in [0o644, 0o640, 0o604, 0o660] {
        fs::set_permissions(&private, fs::Permissions::from_mode(loose)).unwrap();
        match read_private(&private) {
            Err(KeyError::TooOpen { mode, .. }) => assert_eq!(mode, loose),
            Err(e) => panic!("{loose:o}: {e}"),
            Ok(_) => panic!("{loose:o}: read"),
        }
    }
    fs::set_permissions(&private, fs::Permissions::from_mode(0o644)).unwrap();
    let error = keys.refused(&["key", "show", "sam.pem"], None);
    assert!(error.contains("permissions 0644"), "{error}");
    // Owner-only modes are fine, and a public key may be read by anyone.
    fs::set_permissions(&private, fs::Permissions::from_mode(0o400)).unwrap();
    assert!(read_private(&private).is_ok());
    assert_eq!(mode(&keys.path("sam.pem.pub")) & 0o600, 0o600);
    assert!(keys::read_public(&keys.path("sam.pem.pub")).is_ok());
}

#[test]
fn a_public_key_is_refused_where_a_private_one_is_needed_and_the_reverse() {
    let keys = Keys::new();
    let private = keys.new_key("sam.pem", "Sam", None);
    assert!(matches!(
        read_private(&keys.path("sam.pem.pub")),
        Err(KeyError::PublicNotPrivate { .. })
    ));
    assert!(matches!(
        keys::read_public(&private),
        Err(KeyError::PrivateNotPublic { .. })
    ));
    // An encrypted private key is refused as one without being decrypted.
    let encrypted = keys.new_key("enc.pem", "Sam", Some("pass"));
    assert!(matches!(
        keys::read_public(&encrypted),
        Err(KeyError::PrivateNotPublic { .. })
    ));
}

#[test]
fn what_is_not_a_key_is_refused_saying_what_it_is() {
    let keys = Keys::new();
    let text = keys.write("notes.txt", b"Minutes of the board, 3 May\n", 0o600);
    assert!(matches!(
        read_private(&text),
        Err(KeyError::NotAKey {
            why: NotAKey::NoKey,
            ..
        })
    ));
    let empty = keys.write("empty.pem", b"", 0o600);
    assert!(matches!(
        keys::read_public(&empty),
        Err(KeyError::NotAKey {
            why: NotAKey::Empty,
            ..
        })
    ));
    let big = keys.write("big.pem", &vec![b'A'; 100 * 1024], 0o600);
    assert!(matches!(
        keys::read_public(&big),
        Err(KeyError::NotAKey {
            why: NotAKey::TooLarge { .. },
            ..
        })
    ));
    assert!(matches!(
        keys::read_public(keys.tmp.path()),
        Err(KeyError::NotAFile { .. })
    ));
    assert!(matches!(
        keys::read_public(&keys.path("absent.pem")),
        Err(KeyError::Unreadable { .. })
    ));
    let error = keys.refused(&["key", "show", "notes.txt"], None);
    assert!(error.contains("notes.txt is not a key file"), "{error}");
    let error = keys.refused(&["key", "show", "absent.pem"], None);
    assert!(error.contains("absent.pem"), "{error}");
}

#[test]
fn another_algorithm_is_refused_by_name_on_the_command_line() {
    // A traditional RSA private key PEM: the label alone says what it is.
    let keys = Keys::new();
    keys.write(
        "rsa.pem",
        b"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK==\n-----END RSA PRIVATE KEY-----\n",
        0o600,
    );
    assert!(matches!(
        read_private(&keys.path("rsa.pem")),
        Err(KeyError::NotEd25519 {
            algorithm: Algorithm::Rsa,
            ..
        })
    ));
    let error = keys.refused(&["key", "show", "rsa.pem"], None);
    assert!(error.contains("an RSA key"), "{error}");
}

#[test]
fn a_key_read_back_signs_what_its_public_key_verifies() {
    let keys = Keys::new();
    for passphrase in [None, Some("pass")] {
        let file = if passphrase.is_some() {
            "enc.pem"
        } else {
            "sam.pem"
        };
        let private = keys.new_key(file, "Sam", passphrase);
        let mut ask = given("pass");
        let key = SigningKeyFile::read(&private, &mut ask).unwrap().key;
        let public = keys::read_public(&keys.path(&format!("{file}.pub"))).unwrap();
        let signature = key.sign(b"A21: claimed complete");
        assert!(
            public
                .verify_strict(b"A21: claimed complete", &signature)
                .is_ok()
        );
        assert!(
            public
                .verify_strict(b"A22: claimed complete", &signature)
                .is_err()
        );
    }
}

#[test]
fn key_show_reads_either_kind_through_one_call() {
    let keys = Keys::new();
    let private = keys.new_key("sam.pem", "Sam", None);
    let file = KeyFile::read(&private, &mut keys::no_passphrase).unwrap();
    assert!(matches!(file, KeyFile::Private(_)));
    let public = KeyFile::read(&keys.path("sam.pem.pub"), &mut keys::no_passphrase).unwrap();
    assert!(matches!(public, KeyFile::Public(_)));
    assert_eq!(file.public_key(), public.public_key());
    assert_eq!(public.name(), Some("Sam"));
    assert_eq!(file.name(), None);
}
