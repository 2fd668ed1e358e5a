//! Keys checked against the real tools: OpenSSL reads the keys `planledger
//! key new` writes (plain and encrypted) and gets the same public key; the
//! keys `openssl genpkey` and `ssh-keygen` make (plain and encrypted) are
//! read here as the same keys those tools print; and a signature made on
//! either side verifies on the other, which proves the key material is the
//! same key, not merely a file both can parse. Keys of other algorithms
//! that the tools make are refused by name. A checkpoint's signature
//! verifies in OpenSSL over the message `ledger/FORMAT.md` §12 describes.
//!
//! A test target of its own without libtest's harness, like `browser`, by
//! the shared rule of `common/external.rs`: where a tool is missing its
//! tests are reported as *ignored* with the reason, rather than passing
//! without having run; in CI (`CI` set) that is a failure, since `.ci/run`
//! installs both (Debian's `openssl` and `openssh-client`). The tools are
//! `$OPENSSL` and `$SSH_KEYGEN`, or `openssl` and `ssh-keygen` on the
//! `PATH`. Nothing here installs anything.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode, Output, Stdio};

use ed25519_dalek::{Signature, Signer};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use planledger::keys::{self, Algorithm, Format, KeyError, SigningKeyFile};
use zeroize::Zeroizing;

#[path = "common/external.rs"]
mod external;

const PASSPHRASE_VAR: &str = "PLANLEDGER_KEY_PASSPHRASE";

/// A command-line tool the tests need, and where Debian has it.
struct Tool {
    command: &'static str,
    variable: &'static str,
    package: &'static str,
}

const OPENSSL: Tool = Tool {
    command: "openssl",
    variable: "OPENSSL",
    package: "openssl",
};

const SSH_KEYGEN: Tool = Tool {
    command: "ssh-keygen",
    variable: "SSH_KEYGEN",
    package: "openssh-client",
};

/// A trial named after its test function, run only where `tool` is.
macro_rules! trial {
    ($tool:expr, $test:ident) => {
        Trial::ignorable_test(stringify!($test), when_there($tool, $test))
    };
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let trials = vec![
        trial!(
            &OPENSSL,
            openssl_reads_the_keys_key_new_writes_as_the_same_key
        ),
        trial!(
            &OPENSSL,
            openssl_reads_an_encrypted_key_key_new_writes_with_its_passphrase_only
        ),
        trial!(
            &OPENSSL,
            a_key_made_by_openssl_genpkey_is_read_as_the_same_key
        ),
        trial!(
            &OPENSSL,
            an_encrypted_key_made_by_openssl_is_read_with_its_passphrase_only
        ),
        trial!(
            &OPENSSL,
            signatures_made_here_verify_in_openssl_and_the_reverse
        ),
        trial!(
            &OPENSSL,
            keys_of_other_algorithms_made_by_openssl_are_refused_by_name
        ),
        trial!(
            &OPENSSL,
            openssl_verifies_a_checkpoints_signature_from_format_md_alone
        ),
        trial!(
            &SSH_KEYGEN,
            a_key_made_by_ssh_keygen_is_read_as_the_same_key
        ),
        trial!(
            &SSH_KEYGEN,
            an_ecdsa_key_made_by_ssh_keygen_is_refused_by_name
        ),
    ];
    libtest_mimic::run(&args, trials).exit_code()
}

/// Runs `test` with the tool's path if the tool is there (see
/// `common/external.rs`).
fn when_there(
    tool: &'static Tool,
    test: fn(&Path),
) -> impl FnOnce() -> Result<Completion, Failed> + Send + 'static {
    let missing = format!(
        "{} is needed to check key interoperability, and it is not on the PATH: install it \
         with 'apt-get install -y {}' (Debian), or point {} at it",
        tool.command, tool.package, tool.variable
    );
    external::when_there(find(tool), missing, test)
}

/// The tool: `$VARIABLE` if set, otherwise the first on the `PATH`.
fn find(tool: &Tool) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(tool.variable) {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(tool.command))
        .find(|path| path.is_file())
}

/// Runs a tool in `dir` with no passphrase in its environment but what
/// `env` gives.
fn tool(program: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut process = Process::new(program);
    process
        .current_dir(dir)
        .args(args)
        .env_remove(PASSPHRASE_VAR)
        .stdin(Stdio::null());
    for (name, value) in env {
        process.env(name, value);
    }
    process
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()))
}

/// Runs a tool that must succeed and returns its standard output.
fn ok(program: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = tool(program, dir, args, env);
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("text output")
}

fn planledger() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_planledger"))
}

fn given(passphrase: &str) -> impl FnMut(&Path) -> Result<Zeroizing<String>, KeyError> + '_ {
    move |_| Ok(Zeroizing::new(passphrase.to_string()))
}

fn read_private(path: &Path, passphrase: &str) -> Result<SigningKeyFile, KeyError> {
    SigningKeyFile::read(path, &mut given(passphrase))
}

/// Our SPKI PEM of a key, to compare with what a tool prints.
fn pem(key: &ed25519_dalek::VerifyingKey) -> String {
    keys::public_pem(key).expect("a public key encodes")
}

/// `openssl genpkey -algorithm ed25519 -out FILE` in `dir`.
fn genpkey_ed25519(openssl: &Path, dir: &Path, file: &str) {
    ok(
        openssl,
        dir,
        &["genpkey", "-algorithm", "ed25519", "-out", file],
        &[],
    );
}

/// `openssl pkey -in PRIVATE -pubout -out PUBLIC` in `dir`.
fn public_of(openssl: &Path, dir: &Path, private: &str, public: &str) {
    ok(
        openssl,
        dir,
        &["pkey", "-in", private, "-pubout", "-out", public],
        &[],
    );
}

/// Asserts that a read was refused as a key of `expected`'s algorithm.
fn assert_refused_as<T>(result: Result<T, KeyError>, expected: &Algorithm) {
    match result {
        Err(KeyError::NotEd25519 { algorithm, .. }) => assert_eq!(&algorithm, expected),
        Err(e) => panic!("{expected}: {e}"),
        Ok(_) => panic!("{expected} was read as an ed25519 key"),
    }
}

fn openssl_reads_the_keys_key_new_writes_as_the_same_key(openssl: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        planledger(),
        d,
        &["key", "new", "--name", "Sam Okafor", "-o", "sam.pem"],
        &[],
    );
    let ours = read_private(&d.join("sam.pem"), "").unwrap().key;
    ok(openssl, d, &["pkey", "-in", "sam.pem", "-noout"], &[]);
    let theirs = ok(openssl, d, &["pkey", "-in", "sam.pem", "-pubout"], &[]);
    assert_eq!(theirs, pem(&ours.verifying_key()));
    // The public file, with its name before the PEM block, reads too.
    let theirs = ok(
        openssl,
        d,
        &["pkey", "-pubin", "-in", "sam.pem.pub", "-pubout"],
        &[],
    );
    assert_eq!(theirs, pem(&ours.verifying_key()));
}

fn openssl_reads_an_encrypted_key_key_new_writes_with_its_passphrase_only(openssl: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let passphrase = [(PASSPHRASE_VAR, "correct horse battery")];
    ok(
        planledger(),
        d,
        &[
            "key",
            "new",
            "--name",
            "Sam",
            "-o",
            "enc.pem",
            "--passphrase",
        ],
        &passphrase,
    );
    let ours = read_private(&d.join("enc.pem"), "correct horse battery")
        .unwrap()
        .key;
    let passin = format!("env:{PASSPHRASE_VAR}");
    let theirs = ok(
        openssl,
        d,
        &["pkey", "-in", "enc.pem", "-passin", &passin, "-pubout"],
        &passphrase,
    );
    assert_eq!(theirs, pem(&ours.verifying_key()));
    let wrong = tool(
        openssl,
        d,
        &["pkey", "-in", "enc.pem", "-passin", &passin, "-pubout"],
        &[(PASSPHRASE_VAR, "wrong horse battery")],
    );
    assert!(
        !wrong.status.success(),
        "openssl read the key with a wrong passphrase"
    );
}

fn a_key_made_by_openssl_genpkey_is_read_as_the_same_key(openssl: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    genpkey_ed25519(openssl, d, "o.pem");
    fs::set_permissions(d.join("o.pem"), fs::Permissions::from_mode(0o600)).unwrap();
    let theirs = ok(openssl, d, &["pkey", "-in", "o.pem", "-pubout"], &[]);
    let read = read_private(&d.join("o.pem"), "").unwrap();
    assert!(matches!(read.format, Format::Pkcs8V1 { .. }));
    assert_eq!(pem(&read.key.verifying_key()), theirs);

    // The DER forms, and the public key file openssl writes.
    ok(
        openssl,
        d,
        &["pkey", "-in", "o.pem", "-outform", "DER", "-out", "o.der"],
        &[],
    );
    fs::set_permissions(d.join("o.der"), fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        read_private(&d.join("o.der"), "").unwrap().key.to_bytes(),
        read.key.to_bytes()
    );
    public_of(openssl, d, "o.pem", "o.pub.pem");
    ok(
        openssl,
        d,
        &[
            "pkey",
            "-in",
            "o.pem",
            "-pubout",
            "-outform",
            "DER",
            "-out",
            "o.pub.der",
        ],
        &[],
    );
    for public in ["o.pub.pem", "o.pub.der"] {
        assert_eq!(
            keys::read_public(&d.join(public)).unwrap(),
            read.key.verifying_key()
        );
    }
}

fn an_encrypted_key_made_by_openssl_is_read_with_its_passphrase_only(openssl: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = [("PW", "tr0ub4dor&3")];
    genpkey_ed25519(openssl, d, "o.pem");
    // OpenSSL's own default (PBKDF2-HMAC-SHA256) and scrypt.
    ok(
        openssl,
        d,
        &[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-aes-256-cbc",
            "-pass",
            "env:PW",
            "-out",
            "pbkdf2.pem",
        ],
        &env,
    );
    ok(
        openssl,
        d,
        &[
            "pkcs8",
            "-topk8",
            "-scrypt",
            "-in",
            "o.pem",
            "-passout",
            "env:PW",
            "-out",
            "scrypt.pem",
        ],
        &env,
    );
    for file in ["pbkdf2.pem", "scrypt.pem"] {
        let path = d.join(file);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let theirs = ok(
            openssl,
            d,
            &["pkey", "-in", file, "-passin", "env:PW", "-pubout"],
            &env,
        );
        let read = read_private(&path, "tr0ub4dor&3").unwrap();
        assert!(
            matches!(read.format, Format::EncryptedPkcs8 { .. }),
            "{file}"
        );
        assert_eq!(pem(&read.key.verifying_key()), theirs, "{file}");
        assert!(
            matches!(
                read_private(&path, "tr0ub4dor&4"),
                Err(KeyError::WrongPassphrase { .. })
            ),
            "{file}"
        );
    }
}

fn signatures_made_here_verify_in_openssl_and_the_reverse(openssl: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let message = b"Return for Q3: A21 claimed complete, evidence minutes.pdf\n";
    fs::write(d.join("message"), message).unwrap();
    fs::write(d.join("altered"), b"Return for Q3: A22 claimed complete\n").unwrap();

    // Ours, verified by openssl.
    ok(
        planledger(),
        d,
        &["key", "new", "--name", "Sam", "-o", "sam.pem"],
        &[],
    );
    let key = read_private(&d.join("sam.pem"), "").unwrap().key;
    fs::write(d.join("ours.sig"), key.sign(message).to_bytes()).unwrap();
    let verify = |public: &str, signature: &str, message: &str| {
        tool(
            openssl,
            d,
            &[
                "pkeyutl", "-verify", "-pubin", "-inkey", public, "-rawin", "-in", message,
                "-sigfile", signature,
            ],
            &[],
        )
    };
    let verified = verify("sam.pem.pub", "ours.sig", "message");
    assert!(
        verified.status.success(),
        "openssl rejected our signature: {}",
        String::from_utf8_lossy(&verified.stdout)
    );
    assert!(
        !verify("sam.pem.pub", "ours.sig", "altered")
            .status
            .success()
    );

    // openssl's, verified here.
    genpkey_ed25519(openssl, d, "o.pem");
    public_of(openssl, d, "o.pem", "o.pub.pem");
    ok(
        openssl,
        d,
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "o.pem",
            "-rawin",
            "-in",
            "message",
            "-out",
            "theirs.sig",
        ],
        &[],
    );
    let public = keys::read_public(&d.join("o.pub.pem")).unwrap();
    let bytes: [u8; 64] = fs::read(d.join("theirs.sig"))
        .unwrap()
        .try_into()
        .expect("an ed25519 signature is 64 bytes");
    let signature = Signature::from_bytes(&bytes);
    assert!(public.verify_strict(message, &signature).is_ok());
    assert!(public.verify_strict(b"altered", &signature).is_err());
    // And openssl's key, read here, signs what openssl verifies.
    fs::set_permissions(d.join("o.pem"), fs::Permissions::from_mode(0o600)).unwrap();
    let theirs_read = read_private(&d.join("o.pem"), "").unwrap().key;
    assert_eq!(
        theirs_read.sign(message).to_bytes(),
        bytes,
        "ed25519 is deterministic: the same key signs the same bytes"
    );
}

fn keys_of_other_algorithms_made_by_openssl_are_refused_by_name(openssl: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&str, &[&str], Algorithm); 5] = [
        (
            "rsa",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            Algorithm::Rsa,
        ),
        (
            "ec",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Algorithm::Ec {
                curve: Some("P-256".into()),
            },
        ),
        ("ed448", &["-algorithm", "ED448"], Algorithm::Ed448),
        ("x25519", &["-algorithm", "X25519"], Algorithm::X25519),
        (
            "rsa-pss",
            &["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:1024"],
            Algorithm::RsaPss,
        ),
    ];
    for (name, genpkey, expected) in cases {
        let private = format!("{name}.pem");
        let public = format!("{name}.pub.pem");
        let mut args = vec!["genpkey"];
        args.extend_from_slice(genpkey);
        args.extend_from_slice(&["-out", &private]);
        ok(openssl, d, &args, &[]);
        public_of(openssl, d, &private, &public);
        fs::set_permissions(d.join(&private), fs::Permissions::from_mode(0o600)).unwrap();
        assert_refused_as(read_private(&d.join(&private), ""), &expected);
        assert_refused_as(keys::read_public(&d.join(&public)), &expected);
    }
    // The traditional (pre-PKCS#8) forms say what they are by their label.
    for (file, traditional, expected) in [
        ("rsa.pem", "rsa-pkcs1.pem", Algorithm::Rsa),
        ("ec.pem", "ec-sec1.pem", Algorithm::Ec { curve: None }),
    ] {
        ok(
            openssl,
            d,
            &["pkey", "-in", file, "-traditional", "-out", traditional],
            &[],
        );
        fs::set_permissions(d.join(traditional), fs::Permissions::from_mode(0o600)).unwrap();
        assert_refused_as(read_private(&d.join(traditional), ""), &expected);
    }
}

fn a_key_made_by_ssh_keygen_is_read_as_the_same_key(ssh_keygen: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (file, passphrase) in [("plain", ""), ("encrypted", "s3cret words")] {
        ok(
            ssh_keygen,
            d,
            &[
                "-q",
                "-t",
                "ed25519",
                "-N",
                passphrase,
                "-C",
                "sam@laptop",
                "-f",
                file,
            ],
            &[],
        );
        let private = read_private(&d.join(file), passphrase).unwrap();
        let public = keys::PublicKeyFile::read(&d.join(format!("{file}.pub"))).unwrap();
        assert_eq!(private.key.verifying_key(), public.key, "{file}");
        assert_eq!(private.name.as_deref(), Some("sam@laptop"), "{file}");
        assert_eq!(public.name.as_deref(), Some("sam@laptop"), "{file}");
        assert_eq!(public.format, Format::OpenSshPublic);
        match &private.format {
            Format::OpenSshPrivate { cipher } => {
                assert_eq!(cipher.is_some(), !passphrase.is_empty(), "{file}")
            }
            other => panic!("{file}: read as {other}"),
        }
        // The public key ssh-keygen derives from the private file is ours.
        let derived = ok(ssh_keygen, d, &["-y", "-P", passphrase, "-f", file], &[]);
        fs::write(d.join(format!("{file}.derived")), derived).unwrap();
        assert_eq!(
            keys::read_public(&d.join(format!("{file}.derived"))).unwrap(),
            public.key
        );
    }
    assert!(matches!(
        read_private(&d.join("encrypted"), "other words"),
        Err(KeyError::WrongPassphrase { .. })
    ));
    // ssh-keygen writes private keys 0600; looser is refused, as ssh does.
    fs::set_permissions(d.join("plain"), fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        read_private(&d.join("plain"), ""),
        Err(KeyError::TooOpen { mode: 0o644, .. })
    ));
}

fn an_ecdsa_key_made_by_ssh_keygen_is_refused_by_name(ssh_keygen: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        ssh_keygen,
        d,
        &["-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", "ecdsa"],
        &[],
    );
    let expected = Algorithm::Ec {
        curve: Some("P-256".into()),
    };
    assert_refused_as(read_private(&d.join("ecdsa"), ""), &expected);
    assert_refused_as(keys::read_public(&d.join("ecdsa.pub")), &expected);
}

/// A checkpoint's signer signs BLAKE3 `derive_key("planledger 2026
/// checkpoint v1", the statement's lines and the signer's name, key and
/// fingerprint lines)`; that message, built here from the text as FORMAT.md
/// §12 says, with the signature from the two `signature` lines, verifies in
/// `openssl pkeyutl` under the signer's public key file, and an altered
/// message does not.
fn openssl_verifies_a_checkpoints_signature_from_format_md_alone(openssl: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| ok(planledger(), d, args, &[("PLANLEDGER_ACTOR", "Sam")]);
    run(&["--ledger", "ledger", "init"]);
    run(&["key", "new", "--name", "Sam Okafor", "-o", "sam.pem"]);
    let text = run(&["--ledger", "ledger", "checkpoint", "--key", "sam.pem"]);
    let lines: Vec<&str> = text.lines().collect();
    let signer = lines
        .iter()
        .position(|l| l.starts_with("signer "))
        .expect("a signer line");
    let signed: String = lines[..signer + 3]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    let message = blake3::derive_key("planledger 2026 checkpoint v1", signed.as_bytes());
    let signature = hex::decode(format!(
        "{}{}",
        &lines[signer + 3][12..],
        &lines[signer + 4][12..]
    ))
    .unwrap();
    fs::write(d.join("message"), message).unwrap();
    fs::write(d.join("checkpoint.sig"), signature).unwrap();
    let mut altered = message;
    altered[0] ^= 1;
    fs::write(d.join("altered"), altered).unwrap();
    let verify = |message: &str| {
        tool(
            openssl,
            d,
            &[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "sam.pem.pub",
                "-rawin",
                "-in",
                message,
                "-sigfile",
                "checkpoint.sig",
            ],
            &[],
        )
    };
    let verified = verify("message");
    assert!(
        verified.status.success(),
        "openssl rejected the checkpoint's signature: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(!verify("altered").status.success());
}
