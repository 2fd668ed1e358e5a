//! Keys: the ed25519 key pairs that people will sign changes with, as files
//! that OpenSSL, OpenSSH and other tools read too.
//!
//! **Written.** [`write_new`] writes a private key as PKCS#8 in its v1
//! structure (RFC 5208: the 32-byte seed and nothing else), PEM-armoured
//! (`-----BEGIN PRIVATE KEY-----`), or, given a passphrase, as encrypted
//! PKCS#8 (`-----BEGIN ENCRYPTED PRIVATE KEY-----`: PBES2 with scrypt,
//! N = 2^14, r = 8, p = 1, and AES-256-CBC) — shapes OpenSSL 3.0 reads; it
//! does not read the v2 structure (RFC 5958) for ed25519. The private file
//! is created with mode 0600 (never readable by others, not even for an
//! instant) and never replaces a file that exists. The public key is SPKI
//! (`-----BEGIN PUBLIC KEY-----`) with the key's name as RFC 7468
//! explanatory text, a `Name: …` line before the PEM block, which every
//! PEM reader skips. The name is a label for people; nothing trusts it.
//!
//! **Read.** [`KeyFile::read`] accepts PKCS#8 v1 and v2, plain or
//! encrypted, PEM or DER; SPKI, PEM or DER; OpenSSH ed25519 private keys
//! (`-----BEGIN OPENSSH PRIVATE KEY-----`, plain or encrypted) and public
//! lines (`ssh-ed25519 AAAA… comment`), as git does for commit signing.
//! [`SigningKeyFile::read`] and [`read_public`] are what the rest of the
//! crate uses. Each refuses with a typed [`KeyError`] that names the file:
//! another algorithm (saying which: RSA, EC with its curve, …), a private
//! key readable by group or others (as ssh does, before asking for any
//! passphrase), a file that is not a key, and a public key where a private
//! one is needed or the reverse. A file is read whole but only up to
//! [`MAX_KEY_FILE_BYTES`].
//!
//! **Named.** A key's id is BLAKE3 in `derive_key` mode, context
//! [`KEY_ID_CONTEXT`] (`"planledger 2026 key v1"`), over the 32 bytes of
//! the ed25519 public key (RFC 8032's encoding: the bytes in the SPKI BIT
//! STRING and in OpenSSH's key blob). Its [`fingerprint`], the first 16
//! hex digits of the id, is what people compare, over the phone if need
//! be. A test pins it against a literal value.
//!
//! This module reads and writes key files only: it never reads the
//! environment or a terminal. A passphrase comes from the caller, asked
//! for only when a file turns out to be encrypted.

use std::fmt;
use std::fs::{File, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey, KeypairBytes};
use ed25519_dalek::{SigningKey, VerifyingKey};
use pkcs8::der::pem::LineEnding;
use pkcs8::pkcs5::{self, pbes2};
use pkcs8::spki::{AlgorithmIdentifierRef, ObjectIdentifier, SubjectPublicKeyInfoRef};
use pkcs8::{EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use zeroize::Zeroizing;

/// The BLAKE3 `derive_key` context of a key's id ([`key_id`]).
pub const KEY_ID_CONTEXT: &str = "planledger 2026 key v1";

/// The largest file read as a key. Any key this module reads is under
/// 4 KiB; the bound keeps a wrong path (a device, a log) from being read
/// whole.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The longest key name, in characters: one line a person reads.
pub const MAX_NAME_CHARS: usize = 200;

/// The scrypt cost of a key this module encrypts: N = 2^14, r = 8, p = 1
/// (16 MiB), within what OpenSSL 3.0 allows itself by default (32 MiB).
const SCRYPT_LOG_N: u8 = 14;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

/// The most memory a file's scrypt parameters may ask for (128 · N · r
/// bytes) before it is refused, so a hostile file cannot exhaust memory.
const MAX_SCRYPT_BYTES: u64 = 256 * 1024 * 1024;

/// The explanatory text before a public key's PEM block that holds its
/// name (RFC 7468 §5.2).
const NAME_LINE: &str = "Name: ";

/// A key file that could not be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a file")]
    NotAFile { path: PathBuf },
    #[error("{path} is not a key file: {why}")]
    NotAKey { path: PathBuf, why: NotAKey },
    #[error(
        "{path} holds {algorithm}; planledger keys are ed25519 (make one with 'planledger key new')"
    )]
    NotEd25519 { path: PathBuf, algorithm: Algorithm },
    #[error("{path} is a public key; a private key is needed here")]
    PublicNotPrivate { path: PathBuf },
    #[error(
        "{path} is a private key; a public key is needed here ('planledger key show {path}' prints it)"
    )]
    PrivateNotPublic { path: PathBuf },
    #[error(
        "permissions {mode:04o} for {path} are too open: a private key must be readable by its owner only (chmod 600 {path})"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("wrong passphrase for {path}")]
    WrongPassphrase { path: PathBuf },
    #[error("{path} is encrypted and no passphrase was given: {why}")]
    NoPassphrase { path: PathBuf, why: String },
    #[error(
        "{path} is encrypted with {scheme}, which planledger does not read (openssl pkcs8 -topk8 -v2 aes-256-cbc re-encrypts it)"
    )]
    UnsupportedEncryption { path: PathBuf, scheme: String },
    #[error("{path} is a damaged {format} key: {why}")]
    Damaged {
        path: PathBuf,
        format: &'static str,
        why: String,
    },
    #[error("{path} exists; planledger never overwrites a key file")]
    Exists { path: PathBuf },
    #[error("the private and public key files must differ ({path})")]
    SamePath { path: PathBuf },
    #[error("cannot write key file {path}: {source}")]
    Unwritable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("bad key name: {why}")]
    BadName { why: String },
    #[error("a passphrase may not be empty")]
    EmptyPassphrase,
    #[error("cannot encode the key: {why}")]
    Encoding { why: String },
    #[error("no randomness from the operating system: {0}")]
    Random(#[source] getrandom::Error),
}

/// Why a file is not a key at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAKey {
    #[error("it is empty")]
    Empty,
    #[error("it is {size} bytes, and a key file is under {max} bytes", max = MAX_KEY_FILE_BYTES)]
    TooLarge { size: u64 },
    #[error("it holds no PEM block, OpenSSH public key or DER key")]
    NoKey,
    #[error("it holds an X.509 certificate, not a key")]
    Certificate,
    #[error("its PEM block '{label}' is not a key planledger reads")]
    UnknownPem { label: String },
    #[error("its PEM block '{label}' has no END line")]
    Unterminated { label: String },
    #[error("it holds {count} OpenSSH public keys; give a file with one")]
    SeveralKeys { count: usize },
}

/// A key of another algorithm than ed25519, as a refusal names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    Rsa,
    RsaPss,
    /// Elliptic-curve (ECDSA) keys, with the curve when the file names it.
    Ec {
        curve: Option<String>,
    },
    Dsa,
    Ed448,
    X25519,
    X448,
    /// A FIDO security key's OpenSSH handle: the private half stays on the
    /// token, so nothing here can sign with it.
    SecurityKey {
        name: String,
    },
    /// Anything else, by its OID or OpenSSH name.
    Other {
        name: String,
    },
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Algorithm::Rsa => f.write_str("an RSA key"),
            Algorithm::RsaPss => f.write_str("an RSA-PSS key"),
            Algorithm::Ec { curve: Some(curve) } => write!(f, "an EC key ({curve})"),
            Algorithm::Ec { curve: None } => f.write_str("an EC key"),
            Algorithm::Dsa => f.write_str("a DSA key"),
            Algorithm::Ed448 => f.write_str("an Ed448 key"),
            Algorithm::X25519 => f.write_str("an X25519 key (for key agreement, not signing)"),
            Algorithm::X448 => f.write_str("an X448 key (for key agreement, not signing)"),
            Algorithm::SecurityKey { name } => write!(
                f,
                "a FIDO security-key handle ({name}), whose private key never leaves the token"
            ),
            Algorithm::Other { name } => write!(f, "a key of type {name}"),
        }
    }
}

/// How a file is encoded: PEM text or raw DER bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Pem,
    Der,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Pem => "PEM",
            Encoding::Der => "DER",
        })
    }
}

/// The format a key file was read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// PKCS#8 `PrivateKeyInfo` (RFC 5208): the seed alone. What
    /// [`write_new`] writes without a passphrase.
    Pkcs8V1 { encoding: Encoding },
    /// PKCS#8 `OneAsymmetricKey` (RFC 5958): the seed and the public key.
    Pkcs8V2 { encoding: Encoding },
    /// Encrypted PKCS#8, with its scheme as the file names it.
    EncryptedPkcs8 { encoding: Encoding, scheme: String },
    /// OpenSSH's own private key format, with its cipher if encrypted.
    OpenSshPrivate { cipher: Option<String> },
    /// X.509 `SubjectPublicKeyInfo` (RFC 5280, RFC 8410).
    Spki { encoding: Encoding },
    /// One `ssh-ed25519 AAAA… comment` line.
    OpenSshPublic,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Pkcs8V1 { encoding } => write!(f, "PKCS#8 v1, {encoding}"),
            Format::Pkcs8V2 { encoding } => {
                write!(f, "PKCS#8 v2 (with its public key), {encoding}")
            }
            Format::EncryptedPkcs8 { encoding, scheme } => {
                write!(f, "encrypted PKCS#8, {encoding} ({scheme})")
            }
            Format::OpenSshPrivate { cipher: None } => f.write_str("OpenSSH"),
            Format::OpenSshPrivate {
                cipher: Some(cipher),
            } => write!(f, "OpenSSH, encrypted ({cipher})"),
            Format::Spki { encoding } => write!(f, "SPKI, {encoding}"),
            Format::OpenSshPublic => f.write_str("OpenSSH public key line"),
        }
    }
}

/// A key's id: BLAKE3 in `derive_key` mode, context [`KEY_ID_CONTEXT`],
/// over the 32 bytes of the ed25519 public key.
pub fn key_id(key: &VerifyingKey) -> [u8; 32] {
    blake3::derive_key(KEY_ID_CONTEXT, key.as_bytes())
}

/// The fingerprint people read and compare: the first 16 hex digits
/// (8 bytes) of [`key_id`], in lower case.
pub fn fingerprint(key: &VerifyingKey) -> String {
    hex::encode(&key_id(key)[..8])
}

/// The [`fingerprint`] of a public key given as its 32 bytes, or "(not a
/// key)" for bytes that are not an ed25519 point.
pub fn fingerprint_of(key: &[u8; 32]) -> String {
    VerifyingKey::from_bytes(key)
        .map(|k| fingerprint(&k))
        .unwrap_or_else(|_| "(not a key)".to_string())
}

/// Where a passphrase comes from: called with the file's path, and only
/// when the file turns out to be encrypted.
pub type AskPassphrase<'a> = &'a mut dyn FnMut(&Path) -> Result<Zeroizing<String>, KeyError>;

/// An [`AskPassphrase`] for a caller that has none to give: an encrypted
/// file is refused with [`KeyError::NoPassphrase`].
pub fn no_passphrase(path: &Path) -> Result<Zeroizing<String>, KeyError> {
    Err(KeyError::NoPassphrase {
        path: path.to_path_buf(),
        why: "none can be asked for here".into(),
    })
}

/// A private key read from a file.
pub struct SigningKeyFile {
    pub key: SigningKey,
    pub format: Format,
    /// The name or comment the file carries, if any (not part of the key).
    pub name: Option<String>,
}

/// A public key read from a file.
#[derive(Debug, Clone)]
pub struct PublicKeyFile {
    pub key: VerifyingKey,
    pub format: Format,
    /// The name or comment the file carries, if any (not part of the key).
    pub name: Option<String>,
}

/// Either kind of key file.
pub enum KeyFile {
    Private(SigningKeyFile),
    Public(PublicKeyFile),
}

impl KeyFile {
    /// Reads the key at `path`, private or public, asking `ask` for a
    /// passphrase if the file is encrypted.
    pub fn read(path: &Path, ask: AskPassphrase<'_>) -> Result<KeyFile, KeyError> {
        let (bytes, mode) = read_bounded(path)?;
        let found = recognise(path, &bytes)?;
        open(path, found, Some(mode), ask)
    }

    /// The public key, of either kind of file.
    pub fn public_key(&self) -> VerifyingKey {
        match self {
            KeyFile::Private(file) => file.key.verifying_key(),
            KeyFile::Public(file) => file.key,
        }
    }

    pub fn format(&self) -> &Format {
        match self {
            KeyFile::Private(file) => &file.format,
            KeyFile::Public(file) => &file.format,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            KeyFile::Private(file) => file.name.as_deref(),
            KeyFile::Public(file) => file.name.as_deref(),
        }
    }
}

impl SigningKeyFile {
    /// Reads the private key at `path`, asking `ask` for a passphrase if
    /// the file is encrypted. A public key file is refused.
    pub fn read(path: &Path, ask: AskPassphrase<'_>) -> Result<SigningKeyFile, KeyError> {
        let (bytes, mode) = read_bounded(path)?;
        let found = recognise(path, &bytes)?;
        if !found.key.is_private() {
            return Err(KeyError::PublicNotPrivate {
                path: path.to_path_buf(),
            });
        }
        match open(path, found, Some(mode), ask)? {
            KeyFile::Private(file) => Ok(file),
            KeyFile::Public(_) => Err(KeyError::PublicNotPrivate {
                path: path.to_path_buf(),
            }),
        }
    }
}

impl PublicKeyFile {
    /// Reads the public key at `path`. A private key file is refused
    /// before anything in it is decrypted.
    pub fn read(path: &Path) -> Result<PublicKeyFile, KeyError> {
        let (bytes, _) = read_bounded(path)?;
        let found = recognise(path, &bytes)?;
        if found.key.is_private() {
            return Err(KeyError::PrivateNotPublic {
                path: path.to_path_buf(),
            });
        }
        match open(path, found, None, &mut no_passphrase)? {
            KeyFile::Public(file) => Ok(file),
            KeyFile::Private(_) => Err(KeyError::PrivateNotPublic {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// The public key at `path` ([`PublicKeyFile::read`]).
pub fn read_public(path: &Path) -> Result<VerifyingKey, KeyError> {
    Ok(PublicKeyFile::read(path)?.key)
}

/// The file's bytes (at most [`MAX_KEY_FILE_BYTES`]) and its permission
/// bits.
fn read_bounded(path: &Path) -> Result<(Zeroizing<Vec<u8>>, u32), KeyError> {
    let unreadable = |source| KeyError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening too, since opening a FIFO waits for a writer.
    let not_a_file = || KeyError::NotAFile {
        path: path.to_path_buf(),
    };
    if !std::fs::metadata(path).map_err(unreadable)?.is_file() {
        return Err(not_a_file());
    }
    let file = File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(not_a_file());
    }
    let not_a_key = |why| KeyError::NotAKey {
        path: path.to_path_buf(),
        why,
    };
    if metadata.len() > MAX_KEY_FILE_BYTES {
        return Err(not_a_key(NotAKey::TooLarge {
            size: metadata.len(),
        }));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(not_a_key(NotAKey::TooLarge {
            size: bytes.len() as u64,
        }));
    }
    Ok((bytes, metadata.permissions().mode() & 0o7777))
}

/// A key recognised in a file, not yet decrypted or checked.
struct Found {
    key: FoundKey,
    /// The name in the file's explanatory text or OpenSSH comment.
    name: Option<String>,
}

enum FoundKey {
    Pkcs8 {
        der: Zeroizing<Vec<u8>>,
        encoding: Encoding,
    },
    EncryptedPkcs8 {
        der: Vec<u8>,
        encoding: Encoding,
    },
    OpenSshPrivate(Box<ssh_key::PrivateKey>),
    Spki {
        der: Vec<u8>,
        encoding: Encoding,
    },
    OpenSshPublic(Box<ssh_key::PublicKey>),
}

impl FoundKey {
    fn is_private(&self) -> bool {
        match self {
            FoundKey::Pkcs8 { .. }
            | FoundKey::EncryptedPkcs8 { .. }
            | FoundKey::OpenSshPrivate(_) => true,
            FoundKey::Spki { .. } | FoundKey::OpenSshPublic(_) => false,
        }
    }
}

/// Says what `bytes` hold, from the PEM label, the OpenSSH line or the DER
/// structure, refusing what is not an ed25519 key when that is already
/// plain (a PEM label such as `RSA PRIVATE KEY`).
fn recognise(path: &Path, bytes: &[u8]) -> Result<Found, KeyError> {
    let not_a_key = |why| KeyError::NotAKey {
        path: path.to_path_buf(),
        why,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(not_a_key(NotAKey::Empty));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Some(block) = pem_block(text) {
            return recognise_pem(path, &block);
        }
        if let Some(found) = recognise_openssh_public(path, text)? {
            return Ok(found);
        }
    }
    if bytes.first() == Some(&0x30)
        && let Some(found) = recognise_der(bytes)
    {
        return Ok(found);
    }
    Err(not_a_key(NotAKey::NoKey))
}

/// The first PEM block in a text, with the explanatory text before it.
struct PemBlock<'a> {
    label: &'a str,
    /// From the BEGIN line to the end of the END line (or of the text, if
    /// there is no END line).
    text: &'a str,
    terminated: bool,
    preamble: &'a str,
}

fn pem_block(text: &str) -> Option<PemBlock<'_>> {
    let begin = line_starts(text).find(|&at| text[at..].starts_with("-----BEGIN "))?;
    let line = text[begin + "-----BEGIN ".len()..]
        .lines()
        .next()
        .unwrap_or("")
        .trim_end();
    let label = line.strip_suffix("-----").unwrap_or(line);
    let end_line = format!("-----END {label}-----");
    let (end, terminated) = match text[begin..].find(&end_line) {
        Some(at) => (begin + at + end_line.len(), true),
        None => (text.len(), false),
    };
    Some(PemBlock {
        label,
        text: &text[begin..end],
        terminated,
        preamble: &text[..begin],
    })
}

/// The byte offsets at which the lines of `text` start.
fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1))
}

fn recognise_pem(path: &Path, block: &PemBlock<'_>) -> Result<Found, KeyError> {
    let refuse = |algorithm| {
        Err(KeyError::NotEd25519 {
            path: path.to_path_buf(),
            algorithm,
        })
    };
    let not_a_key = |why| {
        Err(KeyError::NotAKey {
            path: path.to_path_buf(),
            why,
        })
    };
    match block.label {
        "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "PUBLIC KEY" | "OPENSSH PRIVATE KEY" => {}
        "RSA PRIVATE KEY" | "RSA PUBLIC KEY" => return refuse(Algorithm::Rsa),
        "EC PRIVATE KEY" | "EC PARAMETERS" => return refuse(Algorithm::Ec { curve: None }),
        "DSA PRIVATE KEY" | "DSA PARAMETERS" => return refuse(Algorithm::Dsa),
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
            return not_a_key(NotAKey::Certificate);
        }
        label => {
            return not_a_key(NotAKey::UnknownPem {
                label: label.to_string(),
            });
        }
    }
    if !block.terminated {
        return not_a_key(NotAKey::Unterminated {
            label: block.label.to_string(),
        });
    }
    let name = explanatory_name(block.preamble);
    let damaged = |format, why: String| KeyError::Damaged {
        path: path.to_path_buf(),
        format,
        why,
    };
    let key = if block.label == "OPENSSH PRIVATE KEY" {
        let key = ssh_key::PrivateKey::from_openssh(block.text)
            .map_err(|e| openssh_refusal(path, e, "OpenSSH private"))?;
        FoundKey::OpenSshPrivate(Box::new(key))
    } else {
        let (_, der) = pkcs8::der::pem::decode_vec(block.text.as_bytes())
            .map_err(|e| damaged("PEM", e.to_string()))?;
        let encoding = Encoding::Pem;
        match block.label {
            "PRIVATE KEY" => FoundKey::Pkcs8 {
                der: Zeroizing::new(der),
                encoding,
            },
            "ENCRYPTED PRIVATE KEY" => FoundKey::EncryptedPkcs8 { der, encoding },
            _ => FoundKey::Spki { der, encoding },
        }
    };
    Ok(Found { key, name })
}

/// The name a public key file's explanatory text gives (`Name: …`).
fn explanatory_name(preamble: &str) -> Option<String> {
    preamble
        .lines()
        .filter_map(|line| line.trim_end_matches('\r').strip_prefix(NAME_LINE))
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
}

/// An OpenSSH public key line (`ssh-ed25519 AAAA… comment`), if the text is
/// one: its first word names a key type and the second is base64. Other
/// lines (blank, `#` comments) are skipped; more than one key is refused.
fn recognise_openssh_public(path: &Path, text: &str) -> Result<Option<Found>, KeyError> {
    let looks_like_key = |line: &&str| {
        let mut words = line.split_whitespace();
        let kind = words.next().unwrap_or("");
        let blob = words.next().unwrap_or("");
        (kind.starts_with("ssh-") || kind.starts_with("ecdsa-") || kind.starts_with("sk-"))
            && blob.starts_with("AAAA")
    };
    let keys: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter(looks_like_key)
        .collect();
    let line = match keys.as_slice() {
        [] => return Ok(None),
        [line] => line,
        several => {
            return Err(KeyError::NotAKey {
                path: path.to_path_buf(),
                why: NotAKey::SeveralKeys {
                    count: several.len(),
                },
            });
        }
    };
    let key = ssh_key::PublicKey::from_openssh(line)
        .map_err(|e| openssh_refusal(path, e, "OpenSSH public"))?;
    let comment = key.comment().as_str_lossy().trim().to_string();
    Ok(Some(Found {
        key: FoundKey::OpenSshPublic(Box::new(key)),
        name: (!comment.is_empty()).then_some(comment),
    }))
}

/// A DER file: PKCS#8, encrypted PKCS#8 or SPKI, tried in that order.
fn recognise_der(bytes: &[u8]) -> Option<Found> {
    let encoding = Encoding::Der;
    let key = if PrivateKeyInfoRef::try_from(bytes).is_ok() {
        FoundKey::Pkcs8 {
            der: Zeroizing::new(bytes.to_vec()),
            encoding,
        }
    } else if EncryptedPrivateKeyInfoRef::try_from(bytes).is_ok() {
        FoundKey::EncryptedPkcs8 {
            der: bytes.to_vec(),
            encoding,
        }
    } else if SubjectPublicKeyInfoRef::try_from(bytes).is_ok() {
        FoundKey::Spki {
            der: bytes.to_vec(),
            encoding,
        }
    } else {
        return None;
    };
    Some(Found { key, name: None })
}

/// Opens a recognised key: checks a private file's permissions (when
/// `mode` is known), decrypts it if need be, checks the algorithm and
/// builds the key.
fn open(
    path: &Path,
    found: Found,
    mode: Option<u32>,
    ask: AskPassphrase<'_>,
) -> Result<KeyFile, KeyError> {
    let path_buf = || path.to_path_buf();
    if let Some(mode) = mode.filter(|mode| found.key.is_private() && mode & 0o077 != 0) {
        return Err(KeyError::TooOpen {
            path: path_buf(),
            mode: mode & 0o777,
        });
    }
    let name = found.name;
    let private = |(key, format)| {
        Ok(KeyFile::Private(SigningKeyFile {
            key,
            format,
            name: name.clone(),
        }))
    };
    match found.key {
        FoundKey::Pkcs8 { der, encoding } => private(open_pkcs8(path, &der, encoding)?),
        FoundKey::EncryptedPkcs8 { der, encoding } => {
            private(open_encrypted_pkcs8(path, &der, encoding, ask)?)
        }
        FoundKey::OpenSshPrivate(key) => {
            let (key, format, name) = open_openssh_private(path, &key, ask)?;
            Ok(KeyFile::Private(SigningKeyFile { key, format, name }))
        }
        FoundKey::Spki { der, encoding } => {
            let spki = SubjectPublicKeyInfoRef::try_from(der.as_slice()).map_err(|e| {
                KeyError::Damaged {
                    path: path_buf(),
                    format: "SPKI",
                    why: e.to_string(),
                }
            })?;
            check_algorithm(path, &spki.algorithm)?;
            let bytes = spki.subject_public_key.as_bytes().unwrap_or(&[]);
            Ok(KeyFile::Public(PublicKeyFile {
                key: public_key(path, "SPKI", bytes)?,
                format: Format::Spki { encoding },
                name,
            }))
        }
        FoundKey::OpenSshPublic(key) => {
            check_openssh_algorithm(path, &key.algorithm())?;
            let bytes = key.key_data().ed25519().map_or(&[][..], |k| &k.0[..]);
            Ok(KeyFile::Public(PublicKeyFile {
                key: public_key(path, "OpenSSH public", bytes)?,
                format: Format::OpenSshPublic,
                name,
            }))
        }
    }
}

/// An ed25519 public key from its 32 bytes, refusing a point off the curve
/// and a weak (small-order) key, which `verify_strict` would never accept
/// a signature from.
fn public_key(path: &Path, format: &'static str, bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
    let damaged = |why: &str| KeyError::Damaged {
        path: path.to_path_buf(),
        format,
        why: why.to_string(),
    };
    let bytes: &[u8; 32] = bytes
        .try_into()
        .map_err(|_| damaged("an ed25519 public key is 32 bytes"))?;
    let key = VerifyingKey::from_bytes(bytes)
        .map_err(|_| damaged("its public key is not a valid point"))?;
    if key.is_weak() {
        return Err(damaged("its public key is a weak (small-order) point"));
    }
    Ok(key)
}

/// A plain PKCS#8 key: v1 or v2, ed25519 only; a v2 key's public key must
/// match its private key.
fn open_pkcs8(
    path: &Path,
    der: &[u8],
    encoding: Encoding,
) -> Result<(SigningKey, Format), KeyError> {
    let damaged = |why: String| KeyError::Damaged {
        path: path.to_path_buf(),
        format: "PKCS#8",
        why,
    };
    let info = PrivateKeyInfoRef::try_from(der).map_err(|e| damaged(e.to_string()))?;
    check_algorithm(path, &info.algorithm)?;
    let format = match info.version() {
        pkcs8::Version::V1 => Format::Pkcs8V1 { encoding },
        pkcs8::Version::V2 => Format::Pkcs8V2 { encoding },
    };
    let key = SigningKey::try_from(info).map_err(|e| match e {
        pkcs8::Error::KeyMalformed(_) if matches!(format, Format::Pkcs8V2 { .. }) => {
            damaged("its public key does not match its private key".into())
        }
        e => damaged(e.to_string()),
    })?;
    Ok((key, format))
}

fn open_encrypted_pkcs8(
    path: &Path,
    der: &[u8],
    encoding: Encoding,
    ask: AskPassphrase<'_>,
) -> Result<(SigningKey, Format), KeyError> {
    let unsupported = |scheme: String| KeyError::UnsupportedEncryption {
        path: path.to_path_buf(),
        scheme,
    };
    let info = EncryptedPrivateKeyInfoRef::try_from(der).map_err(|e| {
        match unreadable_scheme(der, &e) {
            Some(scheme) => unsupported(scheme),
            None => KeyError::Damaged {
                path: path.to_path_buf(),
                format: "encrypted PKCS#8",
                why: e.to_string(),
            },
        }
    })?;
    let scheme = describe_scheme(&info.encryption_algorithm);
    match &info.encryption_algorithm {
        pkcs5::EncryptionScheme::Pbes2(params) => {
            if let pbes2::Kdf::Scrypt(scrypt) = &params.kdf {
                let bytes = 128u64
                    .saturating_mul(scrypt.cost_parameter)
                    .saturating_mul(u64::from(scrypt.block_size));
                if bytes > MAX_SCRYPT_BYTES {
                    return Err(unsupported(format!(
                        "{scheme}, asking for {} MiB (at most {} MiB)",
                        bytes / (1024 * 1024),
                        MAX_SCRYPT_BYTES / (1024 * 1024)
                    )));
                }
            }
        }
        _ => return Err(unsupported(scheme)),
    }
    let passphrase = ask(path)?;
    let decrypted = info.decrypt(passphrase.as_bytes()).map_err(|e| match e {
        pkcs8::Error::EncryptedPrivateKey(
            pkcs5::Error::UnsupportedAlgorithm { .. }
            | pkcs5::Error::AlgorithmParametersInvalid { .. }
            | pkcs5::Error::NoPbes1CryptSupport,
        ) => unsupported(scheme.clone()),
        // A wrong passphrase fails the padding check, or, one time in
        // 256, decrypts to bytes that are not DER.
        _ => KeyError::WrongPassphrase {
            path: path.to_path_buf(),
        },
    })?;
    // What decrypted is DER; bytes that are not PKCS#8 mean the padding
    // happened to check out under a wrong passphrase.
    if PrivateKeyInfoRef::try_from(decrypted.as_bytes()).is_err() {
        return Err(KeyError::WrongPassphrase {
            path: path.to_path_buf(),
        });
    }
    let (key, _) = open_pkcs8(path, decrypted.as_bytes(), encoding)?;
    Ok((key, Format::EncryptedPkcs8 { encoding, scheme }))
}

/// The scheme of an encrypted PKCS#8 file that the pkcs8 crate could not
/// decode because it does not know the scheme (older PBES1 and PKCS#12
/// schemes, PBES2 with DES or 3DES or PBKDF2-HMAC-SHA1), in words; `None`
/// if the file is simply damaged.
fn unreadable_scheme(der: &[u8], error: &pkcs8::Error) -> Option<String> {
    use pkcs8::der::{Decode, Reader, SliceReader};
    let mut reader = SliceReader::new(der).ok()?;
    let outer = reader
        .sequence(|r| {
            let algorithm = AlgorithmIdentifierRef::decode(r)?;
            r.read_slice(r.remaining_len())?;
            Ok::<_, pkcs8::der::Error>(algorithm.oid)
        })
        .ok()?
        .to_string();
    let unknown = match error {
        pkcs8::Error::Asn1(e) => match e.kind() {
            pkcs8::der::ErrorKind::OidUnknown { oid } => Some(oid.to_string()),
            _ => None,
        },
        _ => None,
    };
    let name = |oid: &str| match oid {
        "1.2.840.113549.3.7" => "3DES-CBC".to_string(),
        "1.3.14.3.2.7" => "DES-CBC".to_string(),
        "1.2.840.113549.3.2" => "RC2-CBC".to_string(),
        "1.2.840.113549.2.7" => "PBKDF2-HMAC-SHA1".to_string(),
        oid => format!("OID {oid}"),
    };
    if outer == pkcs5::pbes2::PBES2_OID.to_string() {
        Some(format!("PBES2 with {}", name(unknown.as_deref()?)))
    } else if outer.starts_with("1.2.840.113549.1.12.1.") {
        Some(format!("a PKCS#12 scheme (OID {outer})"))
    } else if outer.starts_with("1.2.840.113549.1.5.") {
        Some(format!("PBES1 (OID {outer})"))
    } else {
        unknown.map(|_| format!("an unknown scheme (OID {outer})"))
    }
}

/// The encryption scheme of an encrypted PKCS#8 file, in words:
/// "PBES2: scrypt N=2^14 r=8 p=1, AES-256-CBC".
fn describe_scheme(scheme: &pkcs5::EncryptionScheme) -> String {
    let pbes2::Parameters { kdf, encryption } = match scheme {
        pkcs5::EncryptionScheme::Pbes2(params) => params,
        other => return format!("PBES1 ({})", other.oid()),
    };
    let kdf = match kdf {
        pbes2::Kdf::Scrypt(p) => format!(
            "scrypt N=2^{} r={} p={}",
            p.cost_parameter.max(1).ilog2(),
            p.block_size,
            p.parallelization
        ),
        pbes2::Kdf::Pbkdf2(p) => {
            let prf = match p.prf {
                pbes2::Pbkdf2Prf::HmacWithSha1 => "HMAC-SHA1",
                pbes2::Pbkdf2Prf::HmacWithSha224 => "HMAC-SHA224",
                pbes2::Pbkdf2Prf::HmacWithSha256 => "HMAC-SHA256",
                pbes2::Pbkdf2Prf::HmacWithSha384 => "HMAC-SHA384",
                pbes2::Pbkdf2Prf::HmacWithSha512 => "HMAC-SHA512",
                _ => "HMAC",
            };
            format!("PBKDF2-{prf}, {} iterations", p.iteration_count)
        }
        other => format!("KDF {}", other.oid()),
    };
    let cipher = match encryption {
        pbes2::EncryptionScheme::Aes128Cbc { .. } => "AES-128-CBC".to_string(),
        pbes2::EncryptionScheme::Aes192Cbc { .. } => "AES-192-CBC".to_string(),
        pbes2::EncryptionScheme::Aes256Cbc { .. } => "AES-256-CBC".to_string(),
        pbes2::EncryptionScheme::Aes128Gcm { .. } => "AES-128-GCM".to_string(),
        pbes2::EncryptionScheme::Aes256Gcm { .. } => "AES-256-GCM".to_string(),
        other => format!("cipher {}", other.oid()),
    };
    format!("PBES2: {kdf}, {cipher}")
}

/// An OpenSSH private key: ed25519 only, decrypted if need be, its stored
/// public key matching its private key; with its comment (encrypted with
/// the key, so known only once decrypted).
fn open_openssh_private(
    path: &Path,
    key: &ssh_key::PrivateKey,
    ask: AskPassphrase<'_>,
) -> Result<(SigningKey, Format, Option<String>), KeyError> {
    check_openssh_algorithm(path, &key.algorithm())?;
    let damaged = |why: String| KeyError::Damaged {
        path: path.to_path_buf(),
        format: "OpenSSH private",
        why,
    };
    let decrypted;
    let (key, cipher) = if key.is_encrypted() {
        let passphrase = ask(path)?;
        decrypted = key.decrypt(passphrase.as_bytes()).map_err(|e| match e {
            ssh_key::Error::Crypto | ssh_key::Error::Encoding(_) => KeyError::WrongPassphrase {
                path: path.to_path_buf(),
            },
            e => openssh_refusal(path, e, "OpenSSH private"),
        })?;
        (&decrypted, Some(key.cipher().as_str().to_string()))
    } else {
        (key, None)
    };
    let pair = key
        .key_data()
        .ed25519()
        .ok_or_else(|| damaged("it holds no ed25519 key pair".into()))?;
    let signing = SigningKey::from_bytes(&pair.private.to_bytes());
    if signing.verifying_key().as_bytes() != &pair.public.0 {
        return Err(damaged(
            "its public key does not match its private key".into(),
        ));
    }
    let comment = key.comment().as_str_lossy().trim().to_string();
    Ok((
        signing,
        Format::OpenSshPrivate { cipher },
        (!comment.is_empty()).then_some(comment),
    ))
}

/// An error from the ssh-key crate as a refusal: an algorithm it names but
/// does not read is another algorithm; anything else is damage.
fn openssh_refusal(path: &Path, error: ssh_key::Error, format: &'static str) -> KeyError {
    match error {
        ssh_key::Error::AlgorithmUnsupported { algorithm } => KeyError::NotEd25519 {
            path: path.to_path_buf(),
            algorithm: openssh_algorithm(&algorithm),
        },
        e => KeyError::Damaged {
            path: path.to_path_buf(),
            format,
            why: e.to_string(),
        },
    }
}

fn check_openssh_algorithm(path: &Path, algorithm: &ssh_key::Algorithm) -> Result<(), KeyError> {
    match algorithm {
        ssh_key::Algorithm::Ed25519 => Ok(()),
        other => Err(KeyError::NotEd25519 {
            path: path.to_path_buf(),
            algorithm: openssh_algorithm(other),
        }),
    }
}

fn openssh_algorithm(algorithm: &ssh_key::Algorithm) -> Algorithm {
    match algorithm {
        ssh_key::Algorithm::Rsa { .. } => Algorithm::Rsa,
        ssh_key::Algorithm::Ecdsa { curve } => Algorithm::Ec {
            curve: Some(
                match curve {
                    ssh_key::EcdsaCurve::NistP256 => "P-256",
                    ssh_key::EcdsaCurve::NistP384 => "P-384",
                    ssh_key::EcdsaCurve::NistP521 => "P-521",
                }
                .to_string(),
            ),
        },
        ssh_key::Algorithm::Dsa => Algorithm::Dsa,
        ssh_key::Algorithm::SkEd25519 | ssh_key::Algorithm::SkEcdsaSha2NistP256 => {
            Algorithm::SecurityKey {
                name: algorithm.as_str().to_string(),
            }
        }
        other => Algorithm::Other {
            name: other.as_str().to_string(),
        },
    }
}

/// The OID of ed25519 keys (RFC 8410).
const ED25519_OID: ObjectIdentifier = ed25519_dalek::pkcs8::ALGORITHM_OID;

/// Refuses a PKCS#8 or SPKI algorithm other than ed25519, naming it.
fn check_algorithm(path: &Path, algorithm: &AlgorithmIdentifierRef<'_>) -> Result<(), KeyError> {
    const RSA: &str = "1.2.840.113549.1.1.1";
    const RSA_PSS: &str = "1.2.840.113549.1.1.10";
    const EC: &str = "1.2.840.10045.2.1";
    const DSA: &str = "1.2.840.10040.4.1";
    const X25519: &str = "1.3.101.110";
    const X448: &str = "1.3.101.111";
    const ED448: &str = "1.3.101.113";
    if algorithm.oid == ED25519_OID {
        return Ok(());
    }
    let oid = algorithm.oid.to_string();
    let refused = match oid.as_str() {
        RSA => Algorithm::Rsa,
        RSA_PSS => Algorithm::RsaPss,
        EC => Algorithm::Ec {
            curve: algorithm
                .parameters_oid()
                .ok()
                .map(|curve| curve_name(&curve)),
        },
        DSA => Algorithm::Dsa,
        X25519 => Algorithm::X25519,
        X448 => Algorithm::X448,
        ED448 => Algorithm::Ed448,
        _ => Algorithm::Other { name: oid },
    };
    Err(KeyError::NotEd25519 {
        path: path.to_path_buf(),
        algorithm: refused,
    })
}

/// An elliptic curve's usual name, or its OID.
fn curve_name(oid: &ObjectIdentifier) -> String {
    let oid = oid.to_string();
    match oid.as_str() {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1".into(),
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1".into(),
        _ => format!("curve {oid}"),
    }
}

/// A new key from the operating system's random source.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(KeyError::Random)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The private key as PKCS#8 v1 PEM (the seed alone, no public key), the
/// structure OpenSSL 3.0 reads.
pub fn private_pem(key: &SigningKey) -> Result<Zeroizing<String>, KeyError> {
    let der = pkcs8_v1_der(key)?;
    der.to_pem("PRIVATE KEY", LineEnding::LF)
        .map_err(|e| encoding(&e))
}

/// The private key as encrypted PKCS#8 PEM: the v1 structure, encrypted
/// with PBES2 (scrypt N=2^14, r=8, p=1; AES-256-CBC) under `passphrase`,
/// with a fresh salt and IV.
pub fn encrypted_private_pem(
    key: &SigningKey,
    passphrase: &str,
) -> Result<Zeroizing<String>, KeyError> {
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    getrandom::fill(&mut salt).map_err(KeyError::Random)?;
    getrandom::fill(&mut iv).map_err(KeyError::Random)?;
    let cost =
        pkcs5::scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P).map_err(|e| encoding(&e))?;
    let params =
        pbes2::Parameters::generate_scrypt_aes256cbc(cost, &salt, iv).map_err(|e| encoding(&e))?;
    let der = pkcs8_v1_der(key)?;
    let info = PrivateKeyInfoRef::try_from(der.as_bytes()).map_err(|e| encoding(&e))?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|e| encoding(&e))?;
    encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(|e| encoding(&e))
}

fn pkcs8_v1_der(key: &SigningKey) -> Result<pkcs8::SecretDocument, KeyError> {
    KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_der()
    .map_err(|e| encoding(&e))
}

fn encoding(error: &dyn fmt::Display) -> KeyError {
    KeyError::Encoding {
        why: error.to_string(),
    }
}

/// The public key as SPKI PEM.
pub fn public_pem(key: &VerifyingKey) -> Result<String, KeyError> {
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|e| encoding(&e))
}

/// The text of a public key file: the name as RFC 7468 explanatory text
/// (`Name: …`), then the SPKI PEM block.
pub fn public_file_text(key: &VerifyingKey, name: &str) -> Result<String, KeyError> {
    let name = check_name(name)?;
    Ok(format!("{NAME_LINE}{name}\n{}", public_pem(key)?))
}

/// A key's name: one line of at most [`MAX_NAME_CHARS`] characters, not
/// blank, with no control or text-direction character; returned trimmed.
pub fn check_name(name: &str) -> Result<&str, KeyError> {
    let name = name.trim();
    let bad = |why: String| Err(KeyError::BadName { why });
    if name.is_empty() {
        return bad("it is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|&c| c.is_control() || crate::text::is_hidden(c))
    {
        return bad(format!(
            "it holds the character U+{:04X}; a name is one line of plain text",
            u32::from(c)
        ));
    }
    let count = name.chars().count();
    if count > MAX_NAME_CHARS {
        return bad(format!(
            "it is {count} characters long; a name has at most {MAX_NAME_CHARS}"
        ));
    }
    Ok(name)
}

/// Writes a new key pair: the private key to `private` (mode 0600; PKCS#8
/// v1 PEM, or encrypted PKCS#8 PEM under `passphrase`) and the public key
/// with its name to `public` (SPKI PEM). Neither file may exist: nothing is
/// replaced, and if the public file cannot be written the private one is
/// removed again. Each file is written to a temporary file beside it,
/// synced, and linked into place only if the name is still free.
pub fn write_new(
    key: &SigningKey,
    name: &str,
    private: &Path,
    public: &Path,
    passphrase: Option<&str>,
) -> Result<(), KeyError> {
    if private == public {
        return Err(KeyError::SamePath {
            path: private.to_path_buf(),
        });
    }
    for path in [private, public] {
        if path.symlink_metadata().is_ok() {
            return Err(KeyError::Exists {
                path: path.to_path_buf(),
            });
        }
    }
    let public_text = public_file_text(&key.verifying_key(), name)?;
    let private_text = match passphrase {
        Some(passphrase) => encrypted_private_pem(key, passphrase)?,
        None => private_pem(key)?,
    };
    write_file_new(private, private_text.as_bytes(), 0o600)?;
    if let Err(e) = write_file_new(public, public_text.as_bytes(), 0o644) {
        // Ours, written a moment ago: a private key without its public
        // file would only confuse.
        let _ = std::fs::remove_file(private);
        return Err(e);
    }
    Ok(())
}

/// Writes `bytes` to the new file `path`, created with `mode` (less the
/// umask), through a temporary file in the same directory that is synced
/// and then linked to `path` only if no file has that name.
fn write_file_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyError> {
    let unwritable = |source| KeyError::Unwritable {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".planledger-key-")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(unwritable)?;
    temporary.write_all(bytes).map_err(unwritable)?;
    temporary.as_file().sync_all().map_err(unwritable)?;
    temporary.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            KeyError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            unwritable(e.error)
        }
    })?;
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(unwritable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Signer;

    /// RFC 8032 §7.1, test 1: the secret key and its public key.
    const RFC8032_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn rfc8032_key() -> SigningKey {
        let seed: [u8; 32] = hex::decode(RFC8032_SECRET).unwrap().try_into().unwrap();
        SigningKey::from_bytes(&seed)
    }

    fn path() -> &'static Path {
        Path::new("key.pem")
    }

    /// Recognises and opens `bytes` as a file of mode 0600.
    fn parse(bytes: &[u8], passphrase: Option<&str>) -> Result<KeyFile, KeyError> {
        let found = recognise(path(), bytes)?;
        let mut ask = |p: &Path| match passphrase {
            Some(pass) => Ok(Zeroizing::new(pass.to_string())),
            None => no_passphrase(p),
        };
        open(path(), found, Some(0o600), &mut ask)
    }

    fn parse_private(bytes: &[u8], passphrase: Option<&str>) -> SigningKeyFile {
        match parse(bytes, passphrase) {
            Ok(KeyFile::Private(file)) => file,
            Ok(KeyFile::Public(_)) => panic!("read as a public key"),
            Err(e) => panic!("{e}"),
        }
    }

    fn parse_public(bytes: &[u8]) -> PublicKeyFile {
        match parse(bytes, None) {
            Ok(KeyFile::Public(file)) => file,
            Ok(KeyFile::Private(_)) => panic!("read as a private key"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_fingerprint_is_pinned_to_its_preimage() {
        // BLAKE3 derive_key("planledger 2026 key v1", RFC 8032 test 1's
        // public key), checked with the Python blake3 package; a change to
        // the context or the bytes fails here.
        let key = rfc8032_key().verifying_key();
        assert_eq!(hex::encode(key.as_bytes()), RFC8032_PUBLIC);
        assert_eq!(
            hex::encode(key_id(&key)),
            "f70771b24c062630f352c211299173235c9684ba292c9700772a801f818ac3df"
        );
        assert_eq!(fingerprint(&key), "f70771b24c062630");
    }

    #[test]
    fn a_private_key_is_written_as_pkcs8_v1_pem_and_reads_back() {
        let key = rfc8032_key();
        let pem = private_pem(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let (_, der) = pkcs8::der::pem::decode_vec(pem.as_bytes()).unwrap();
        let info = PrivateKeyInfoRef::try_from(der.as_slice()).unwrap();
        assert_eq!(info.version(), pkcs8::Version::V1);
        assert!(info.public_key.is_none());
        let read = parse_private(pem.as_bytes(), None);
        assert_eq!(read.key.to_bytes(), key.to_bytes());
        assert_eq!(
            read.format,
            Format::Pkcs8V1 {
                encoding: Encoding::Pem
            }
        );
    }

    #[test]
    fn pkcs8_v2_and_der_are_read_too() {
        let key = rfc8032_key();
        let v2 = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let read = parse_private(v2.as_bytes(), None);
        assert_eq!(read.key.to_bytes(), key.to_bytes());
        assert_eq!(
            read.format,
            Format::Pkcs8V2 {
                encoding: Encoding::Pem
            }
        );
        let der = key.to_pkcs8_der().unwrap();
        let read = parse_private(der.as_bytes(), None);
        assert_eq!(read.key.to_bytes(), key.to_bytes());
        let public_der = key.verifying_key().to_public_key_der().unwrap();
        assert_eq!(parse_public(public_der.as_bytes()).key, key.verifying_key());
    }

    #[test]
    fn a_v2_key_whose_public_key_is_another_is_refused_as_damaged() {
        let other = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let lying = KeypairBytes {
            secret_key: rfc8032_key().to_bytes(),
            public_key: Some(ed25519_dalek::pkcs8::PublicKeyBytes(other.to_bytes())),
        }
        .to_pkcs8_der()
        .unwrap();
        assert!(matches!(
            parse(lying.as_bytes(), None),
            Err(KeyError::Damaged { .. })
        ));
    }

    #[test]
    fn an_encrypted_key_reads_back_with_its_passphrase_only() {
        let key = rfc8032_key();
        let pem = encrypted_private_pem(&key, "correct horse").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        let read = parse_private(pem.as_bytes(), Some("correct horse"));
        assert_eq!(read.key.to_bytes(), key.to_bytes());
        assert_eq!(
            read.format,
            Format::EncryptedPkcs8 {
                encoding: Encoding::Pem,
                scheme: "PBES2: scrypt N=2^14 r=8 p=1, AES-256-CBC".into()
            }
        );
        assert!(matches!(
            parse(pem.as_bytes(), Some("wrong horse")),
            Err(KeyError::WrongPassphrase { .. })
        ));
        assert!(matches!(
            parse(pem.as_bytes(), None),
            Err(KeyError::NoPassphrase { .. })
        ));
        assert!(matches!(
            encrypted_private_pem(&key, ""),
            Err(KeyError::EmptyPassphrase)
        ));
    }

    #[test]
    fn two_encryptions_of_one_key_differ() {
        let key = rfc8032_key();
        assert_ne!(
            *encrypted_private_pem(&key, "pass").unwrap(),
            *encrypted_private_pem(&key, "pass").unwrap()
        );
    }

    #[test]
    fn a_public_key_file_carries_its_name_before_the_pem_block() {
        let key = rfc8032_key().verifying_key();
        let text = public_file_text(&key, "  Sam Okafor (assurance lead) ").unwrap();
        assert!(
            text.starts_with("Name: Sam Okafor (assurance lead)\n-----BEGIN PUBLIC KEY-----\n")
        );
        let read = parse_public(text.as_bytes());
        assert_eq!(read.key, key);
        assert_eq!(read.name.as_deref(), Some("Sam Okafor (assurance lead)"));
        // Windows line endings read the same.
        let crlf = text.replace('\n', "\r\n");
        let read = parse_public(crlf.as_bytes());
        assert_eq!(read.key, key);
        assert_eq!(read.name.as_deref(), Some("Sam Okafor (assurance lead)"));
    }

    #[test]
    fn a_name_is_one_line_of_plain_text() {
        for bad in ["", "   ", "Sam\nOkafor", "Sam\tOkafor", "Sam\u{202e}Okafor"] {
            assert!(
                matches!(check_name(bad), Err(KeyError::BadName { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_name(&"a".repeat(MAX_NAME_CHARS + 1)),
            Err(KeyError::BadName { .. })
        ));
        assert_eq!(check_name(" Zoë Ó Briain ").unwrap(), "Zoë Ó Briain");
    }

    #[test]
    fn an_openssh_key_made_by_the_ssh_key_crate_reads_as_the_same_key() {
        let key = rfc8032_key();
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&key.to_bytes());
        bytes[32..].copy_from_slice(key.verifying_key().as_bytes());
        let pair = ssh_key::private::Ed25519Keypair::from_bytes(&bytes).unwrap();
        let private = ssh_key::PrivateKey::new(pair.into(), "sam@laptop").unwrap();
        let text = private.to_openssh(ssh_key::LineEnding::LF).unwrap();
        let read = parse_private(text.as_bytes(), None);
        assert_eq!(read.key.to_bytes(), key.to_bytes());
        assert_eq!(read.format, Format::OpenSshPrivate { cipher: None });
        assert_eq!(read.name.as_deref(), Some("sam@laptop"));
        let line = private.public_key().to_openssh().unwrap();
        let read = parse_public(line.as_bytes());
        assert_eq!(read.key, key.verifying_key());
        assert_eq!(read.name.as_deref(), Some("sam@laptop"));
    }

    /// A PKCS#8 or SPKI document for another algorithm: only its
    /// algorithm identifier matters to the refusal.
    fn foreign_pkcs8(oid: &str, curve: Option<&str>) -> Vec<u8> {
        use pkcs8::der::Encode;
        let curve = curve.map(ObjectIdentifier::new_unwrap);
        let parameters = curve.as_ref().map(pkcs8::der::AnyRef::from);
        let info = PrivateKeyInfoRef {
            algorithm: AlgorithmIdentifierRef {
                oid: ObjectIdentifier::new_unwrap(oid),
                parameters,
            },
            private_key: pkcs8::der::asn1::OctetStringRef::new(&[4, 2, 1, 2]).unwrap(),
            public_key: None,
        };
        info.to_der().unwrap()
    }

    #[test]
    fn another_algorithm_is_refused_by_name() {
        let cases = [
            (foreign_pkcs8("1.2.840.113549.1.1.1", None), Algorithm::Rsa),
            (
                foreign_pkcs8("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")),
                Algorithm::Ec {
                    curve: Some("P-256".into()),
                },
            ),
            (foreign_pkcs8("1.3.101.113", None), Algorithm::Ed448),
        ];
        for (der, expected) in cases {
            let pem = pkcs8::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, &der).unwrap();
            for bytes in [der.as_slice(), pem.as_bytes()] {
                match parse(bytes, None) {
                    Err(KeyError::NotEd25519 { algorithm, .. }) => assert_eq!(algorithm, expected),
                    Err(e) => panic!("{expected}: {e}"),
                    Ok(_) => panic!("{expected} accepted"),
                }
            }
        }
        let traditional = [
            ("RSA PRIVATE KEY", Algorithm::Rsa),
            ("EC PRIVATE KEY", Algorithm::Ec { curve: None }),
            ("EC PARAMETERS", Algorithm::Ec { curve: None }),
            ("DSA PRIVATE KEY", Algorithm::Dsa),
        ];
        for (label, expected) in traditional {
            let pem = format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
            assert!(
                matches!(parse(pem.as_bytes(), None), Err(KeyError::NotEd25519 { algorithm, .. }) if algorithm == expected),
                "{label}"
            );
        }
    }

    #[test]
    fn what_is_not_a_key_is_refused_saying_so() {
        let cases: [(&[u8], NotAKey); 6] = [
            (b"", NotAKey::Empty),
            (b"  \n", NotAKey::Empty),
            (b"hello, world\n", NotAKey::NoKey),
            (b"\x30\x03\x02\x01\x00", NotAKey::NoKey),
            (
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                NotAKey::Certificate,
            ),
            (
                b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n",
                NotAKey::Unterminated {
                    label: "PRIVATE KEY".into(),
                },
            ),
        ];
        for (bytes, expected) in cases {
            match parse(bytes, None) {
                Err(KeyError::NotAKey { why, .. }) => assert_eq!(why, expected),
                Err(e) => panic!("{expected}: {e}"),
                Ok(_) => panic!("{expected}: accepted"),
            }
        }
    }

    #[test]
    fn a_private_key_readable_by_others_is_refused_before_any_passphrase_is_asked() {
        let pem = encrypted_private_pem(&rfc8032_key(), "pass").unwrap();
        let found = recognise(path(), pem.as_bytes()).unwrap();
        let mut asked = false;
        let mut ask = |_: &Path| {
            asked = true;
            Ok(Zeroizing::new("pass".to_string()))
        };
        assert!(matches!(
            open(path(), found, Some(0o100644), &mut ask),
            Err(KeyError::TooOpen { mode: 0o644, .. })
        ));
        assert!(!asked);
        // A public key may be read by anyone.
        let public = public_pem(&rfc8032_key().verifying_key()).unwrap();
        let found = recognise(path(), public.as_bytes()).unwrap();
        assert!(open(path(), found, Some(0o644), &mut no_passphrase).is_ok());
    }

    #[test]
    fn a_signature_by_a_key_read_back_verifies_strictly() {
        let key = parse_private(private_pem(&rfc8032_key()).unwrap().as_bytes(), None).key;
        let public = parse_public(public_pem(&key.verifying_key()).unwrap().as_bytes()).key;
        let signature = key.sign(b"A21 claimed");
        assert!(public.verify_strict(b"A21 claimed", &signature).is_ok());
        assert!(public.verify_strict(b"A21 assured", &signature).is_err());
    }
}
