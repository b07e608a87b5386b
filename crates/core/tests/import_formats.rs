//! Import from other managers' exports, each file written here from the
//! published format descriptions (Bitwarden's JSON, CSV and password-protected
//! JSON; 1Password's 1PUX and CSV; KeePassXC's CSV; Doppler's and Infisical's
//! outputs). Each test plants known values, checks every imported value, and
//! checks that no plan, error or report carries one.

use std::{io::Write as _, path::Path};

use keyhaven_core::{
    Error, ErrorKind, KdfParams, SecretName, UnlockedVault, Vault,
    import::{self, Mapping, Plan, PlanOptions, ReadOptions, SourceKind},
    vault::Access,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

const PASSWORD: &str = "bw-login-password-5b1e";
const TOTP: &str = "otpauth://totp/gh?secret=JBSWY3DPEHPK3PXP";
const HIDDEN: &str = "sk-hidden-field-77c2";
const CARD: &str = "4111111111111111";
const CVV: &str = "737";
const SSN: &str = "078-05-1120";
const SSH: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----";
const NOTE: &str = "recovery code 8842-1193";
const TRASHED: &str = "trashed-password-0000";
const VISIBLE: &str = "region-us-east-1";
const EXPORT_PASSWORD: &str = "export password 93";

/// Every value planted in the exports: none may show up outside the vault.
const PLANTED: [&str; 9] = [PASSWORD, HIDDEN, CARD, CVV, SSN, SSH, NOTE, TRASHED, "otpauth://"];

fn fresh() -> (tempfile::TempDir, UnlockedVault) {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(
        &dir.path().join("vault.sqlite"),
        &SecretString::from("correct horse"),
        KdfParams::custom(8, 1).unwrap(),
    )
    .unwrap();
    (dir, vault)
}

fn write(dir: &Path, file: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read(path: &Path) -> keyhaven_core::Result<import::Source> {
    import::read(path, &ReadOptions::default())
}

fn plan(path: &Path, include_notes: bool) -> Plan {
    Plan::new(read(path).unwrap(), PlanOptions { include_notes })
}

/// The plan as a person sees it (JSON of what `--dry-run --json` prints).
fn shown(plan: &Plan) -> String {
    let text = serde_json::to_string(plan).unwrap();
    assert_no_value(&text);
    text
}

fn assert_no_value(text: &str) {
    for value in PLANTED {
        assert!(!text.contains(value), "a planted value ({}…) is in: {text}", &value[..4]);
    }
}

fn rows(plan: &Plan) -> Vec<(String, String, String)> {
    plan.rows.iter().map(|row| (row.source.clone(), row.name.to_string(), row.category.clone())).collect()
}

fn value(vault: &mut UnlockedVault, name: &str) -> String {
    vault.reveal(&SecretName::parse(name).unwrap(), Access::Reveal).unwrap().expose_secret().to_owned()
}

fn bitwarden_export() -> serde_json::Value {
    json!({
        "encrypted": false,
        "folders": [{"id": "f1", "name": "Work"}],
        "items": [
            {"id": "1", "folderId": "f1", "type": 1, "name": "GitHub", "notes": NOTE,
             "fields": [
                {"name": "API key", "value": HIDDEN, "type": 1},
                {"name": "region", "value": VISIBLE, "type": 0}],
             "login": {"uris": [{"match": null, "uri": "https://github.com"}], "username": "octo", "password": PASSWORD, "totp": TOTP}},
            {"id": "2", "folderId": null, "type": 2, "name": "Recovery codes", "notes": NOTE, "secureNote": {"type": 0}},
            {"id": "3", "folderId": "f1", "type": 3, "name": "Company card",
             "card": {"cardholderName": "A Person", "brand": "Visa", "number": CARD, "expMonth": "1", "expYear": "2030", "code": CVV}},
            {"id": "4", "type": 4, "name": "Me", "identity": {"firstName": "A", "ssn": SSN, "username": "me"}},
            {"id": "5", "type": 5, "name": "deploy key", "sshKey": {"privateKey": SSH, "publicKey": "ssh-ed25519 AAAA", "keyFingerprint": "SHA256:x"}},
            {"id": "6", "type": 1, "name": "Old login", "deletedDate": "2026-01-01T00:00:00Z", "login": {"password": TRASHED}},
            {"id": "7", "type": 1, "name": "Just a username", "login": {"username": "nobody"}}
        ]
    })
}

#[test]
fn ssh_key_items_come_in_as_ssh_keys_and_an_unreadable_one_as_text_with_a_warning() {
    use keyhaven_core::secret::SecretKind;
    let openssh = ssh_key::PrivateKey::random(&mut rand::rngs::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
    let openssh_text = openssh.to_openssh(ssh_key::LineEnding::LF).unwrap().to_string();
    // 1Password and OpenSSL write PKCS#8.
    let ecdsa = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let pem = pkcs8::EncodePrivateKey::to_pkcs8_pem(&ecdsa, pkcs8::LineEnding::LF).unwrap().to_string();
    let export = json!({"encrypted": false, "items": [
        {"id": "1", "type": 5, "name": "deploy key", "sshKey": {"privateKey": openssh_text, "publicKey": "", "keyFingerprint": ""}},
        {"id": "2", "type": 5, "name": "pem key", "sshKey": {"privateKey": pem, "publicKey": "", "keyFingerprint": ""}},
        {"id": "3", "type": 5, "name": "broken key", "sshKey": {"privateKey": SSH, "publicKey": "", "keyFingerprint": ""}}
    ]});
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bitwarden_export.json", export.to_string().as_bytes());
    let plan = plan(&path, false);
    let kinds: Vec<(String, SecretKind)> =
        plan.rows.iter().map(|row| (row.name.to_string(), row.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("DEPLOY_KEY".into(), SecretKind::SshKey),
            ("PEM_KEY".into(), SecretKind::SshKey),
            ("BROKEN_KEY".into(), SecretKind::Text)
        ]
    );
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    assert!(plan.warnings[0].contains("broken key") && plan.warnings[0].contains("comes in as text"));
    assert!(!serde_json::to_string(&plan).unwrap().contains("PRIVATE KEY"));

    let (_vault_dir, mut vault) = fresh();
    vault.import(plan.into_entries(), false, &|_| {}).unwrap();
    let keys = vault.ssh_keys().unwrap();
    let listed: Vec<(String, String)> =
        keys.iter().map(|key| (key.name.to_string(), key.algorithm.clone())).collect();
    assert_eq!(
        listed,
        [("DEPLOY_KEY".into(), "ssh-ed25519".into()), ("PEM_KEY".into(), "ecdsa-sha2-nistp256".into())]
    );
    let deploy = vault.ssh_private_key(&SecretName::parse("DEPLOY_KEY").unwrap()).unwrap();
    assert_eq!(deploy.public_key().key_data(), openssh.public_key().key_data());
    vault.ssh_private_key(&SecretName::parse("PEM_KEY").unwrap()).unwrap();
    assert_eq!(vault.meta(&SecretName::parse("BROKEN_KEY").unwrap()).unwrap().kind, SecretKind::Text);
    vault.verify().unwrap();
}

#[test]
fn bitwarden_json_every_kind_of_item() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bitwarden_export.json", bitwarden_export().to_string().as_bytes());
    let plan = plan(&path, false);
    assert_eq!(plan.kind, SourceKind::Bitwarden);
    assert_eq!(
        rows(&plan),
        [
            ("GitHub › password".into(), "GITHUB_PASSWORD".into(), "Work".into()),
            ("GitHub › TOTP".into(), "GITHUB_TOTP".into(), "Work".into()),
            ("GitHub › API key".into(), "GITHUB_API_KEY".into(), "Work".into()),
            ("Company card › number".into(), "COMPANY_CARD_NUMBER".into(), "Work".into()),
            ("Company card › code".into(), "COMPANY_CARD_CODE".into(), "Work".into()),
            ("Me".into(), "ME".into(), String::new()),
            ("deploy key".into(), "DEPLOY_KEY".into(), String::new()),
        ]
    );
    let github = &plan.rows[0];
    assert_eq!(github.description, "GitHub — https://github.com (user octo) · from Bitwarden");
    let skipped: Vec<(&str, &str)> =
        plan.skipped.iter().map(|s| (s.source.as_str(), s.why.as_str())).collect();
    assert_eq!(
        skipped,
        [
            ("Recovery codes", "only a note: imported with --include-notes"),
            ("Old login", "in the trash"),
            ("Just a username", "no hidden field (a username or URL is kept only beside a secret)"),
        ]
    );
    let text = shown(&plan);
    assert!(!text.contains(VISIBLE), "a visible custom field became a secret");

    // With notes: each note is a secret of its own.
    let with_notes = self::plan(&path, true);
    let names: Vec<String> = with_notes.rows.iter().map(|row| row.name.to_string()).collect();
    assert!(
        names.contains(&"GITHUB_NOTES".to_owned()) && names.contains(&"RECOVERY_CODES".to_owned()),
        "{names:?}"
    );

    let (_vault_dir, mut vault) = fresh();
    let report = vault.import(with_notes.into_entries(), false, &|_| {}).unwrap();
    assert_eq!(report.added.len(), 9);
    for (name, expected) in [
        ("GITHUB_PASSWORD", PASSWORD),
        ("GITHUB_TOTP", TOTP),
        ("GITHUB_API_KEY", HIDDEN),
        ("GITHUB_NOTES", NOTE),
        ("RECOVERY_CODES", NOTE),
        ("COMPANY_CARD_NUMBER", CARD),
        ("COMPANY_CARD_CODE", CVV),
        ("ME", SSN),
        ("DEPLOY_KEY", SSH),
    ] {
        assert_eq!(value(&mut vault, name), expected, "{name}");
    }
    let meta = vault.meta(&SecretName::parse("GITHUB_API_KEY").unwrap()).unwrap();
    assert_eq!(
        (meta.category.as_str(), meta.description.as_str()),
        ("Work", "GitHub — https://github.com (user octo) · from Bitwarden")
    );
    assert_no_value(&format!("{report:?}"));
}

/// A password-protected export, made as Bitwarden's clients make one
/// (bitwarden.com/help/encrypted-export): key = PBKDF2-SHA256(password, salt)
/// or Argon2id(password, SHA-256(salt)); HKDF-Expand into "enc" and "mac";
/// each EncString "2.iv|data|mac" is AES-256-CBC, then HMAC-SHA256(iv‖data).
fn bitwarden_encrypted(plain: &str, password: &str, argon2: Option<(u32, u32, u32)>) -> String {
    use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
    use hmac::Mac as _;
    use sha2::Digest as _;
    let salt = "c2FsdHNhbHRzYWx0c2FsdA==";
    let mut key = [0u8; 32];
    match argon2 {
        None => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt.as_bytes(), 600_000, &mut key),
        Some((iterations, memory_mib, parallelism)) => {
            let params = argon2::Params::new(memory_mib * 1024, iterations, parallelism, Some(32)).unwrap();
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password_into(password.as_bytes(), &sha2::Sha256::digest(salt.as_bytes()), &mut key)
                .unwrap();
        }
    }
    let hkdf = hkdf::Hkdf::<sha2::Sha256>::from_prk(&key).unwrap();
    let (mut enc, mut mac_key) = ([0u8; 32], [0u8; 32]);
    hkdf.expand(b"enc", &mut enc).unwrap();
    hkdf.expand(b"mac", &mut mac_key).unwrap();
    let seal = |plain: &[u8], iv: [u8; 16]| {
        let data = cbc::Encryptor::<aes::Aes256>::new(&enc.into(), &iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(plain);
        let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(&mac_key).unwrap();
        mac.update(&iv);
        mac.update(&data);
        format!("2.{}|{}|{}", B64.encode(iv), B64.encode(&data), B64.encode(mac.finalize().into_bytes()))
    };
    let (kdf_type, iterations, memory, parallelism) = match argon2 {
        Some((iterations, memory, parallelism)) => (1, iterations, Some(memory), Some(parallelism)),
        None => (0, 600_000, None, None),
    };
    json!({
        "encrypted": true, "passwordProtected": true, "salt": salt,
        "kdfType": kdf_type, "kdfIterations": iterations, "kdfMemory": memory, "kdfParallelism": parallelism,
        "encKeyValidation_DO_NOT_EDIT": seal(b"6f0c2f34-a1b2-4c3d-9e8f-0123456789ab", [7; 16]),
        "data": seal(plain.as_bytes(), [9; 16]),
    })
    .to_string()
}

#[test]
fn bitwarden_password_protected_with_each_kdf() {
    let dir = tempfile::tempdir().unwrap();
    let plain = bitwarden_export().to_string();
    for (file, argon2) in [("pbkdf2.json", None), ("argon2.json", Some((3, 16, 2)))] {
        let path = write(dir.path(), file, bitwarden_encrypted(&plain, EXPORT_PASSWORD, argon2).as_bytes());
        let err = read(&path).err().unwrap();
        assert!(matches!(err, Error::ImportPassphraseNeeded(_)), "{file}: {err}");
        let wrong = ReadOptions { passphrase: Some(SecretString::from("not it")), ..Default::default() };
        let err = import::read(&path, &wrong).err().unwrap();
        assert!(matches!(err, Error::WrongImportPassphrase(_)), "{file}: {err}");
        assert!(err.to_string().contains(file) && err.to_string().contains("nothing was imported"), "{err}");
        let right =
            ReadOptions { passphrase: Some(SecretString::from(EXPORT_PASSWORD)), ..Default::default() };
        let plan = Plan::new(import::read(&path, &right).unwrap(), PlanOptions::default());
        assert_eq!(plan.rows.len(), 7, "{file}");
        let (_vault_dir, mut vault) = fresh();
        vault.import(plan.into_entries(), false, &|_| {}).unwrap();
        assert_eq!(value(&mut vault, "GITHUB_API_KEY"), HIDDEN, "{file}");
    }

    // One byte of the data changed: the MAC fails, nothing is decrypted.
    let mut altered: serde_json::Value =
        serde_json::from_str(&bitwarden_encrypted(&plain, EXPORT_PASSWORD, None)).unwrap();
    let data = altered["data"].as_str().unwrap().to_owned();
    let (head, tail) = data.split_at(10);
    let flipped = if tail.starts_with('A') { "B" } else { "A" };
    altered["data"] = json!(format!("{head}{flipped}{}", &tail[1..]));
    let path = write(dir.path(), "altered.json", altered.to_string().as_bytes());
    let right = ReadOptions { passphrase: Some(SecretString::from(EXPORT_PASSWORD)), ..Default::default() };
    assert!(matches!(import::read(&path, &right).err().unwrap(), Error::WrongImportPassphrase(_)));

    // "Account restricted": only that Bitwarden account can read it.
    let restricted =
        json!({"encrypted": true, "encKeyValidation_DO_NOT_EDIT": "2.a|b|c", "folders": [], "items": []});
    let path = write(dir.path(), "restricted.json", restricted.to_string().as_bytes());
    let err = read(&path).err().unwrap().to_string();
    assert!(err.contains("account restricted") && err.contains("File password protected"), "{err}");
}

#[test]
fn bitwarden_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!(
        "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
         Work,1,login,Stripe,\"{NOTE}\",\"API key: {HIDDEN}\nregion: {VISIBLE}\",0,https://stripe.com,ops,{PASSWORD},\n\
         ,,note,Just a note,\"{NOTE}\",,0,,,,\n"
    );
    let path = write(dir.path(), "bitwarden.csv", csv.as_bytes());
    let plan = plan(&path, false);
    assert_eq!(plan.kind, SourceKind::BitwardenCsv);
    assert_eq!(
        rows(&plan),
        [
            ("Stripe › password".into(), "STRIPE_PASSWORD".into(), "Work".into()),
            ("Stripe › API key".into(), "STRIPE_API_KEY".into(), "Work".into()),
            // The CSV does not say which custom fields were hidden: all are offered.
            ("Stripe › region".into(), "STRIPE_REGION".into(), "Work".into()),
        ]
    );
    shown(&plan);
}

/// A .1pux as support.1password.com/1pux-format describes it.
fn one_pux(dir: &Path, data: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("export.1pux");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("export.attributes", options).unwrap();
    zip.write_all(
        br#"{"version": 3, "description": "1Password Unencrypted Export", "createdAt": 1700000000}"#,
    )
    .unwrap();
    zip.start_file("export.data", options).unwrap();
    zip.write_all(data.to_string().as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

fn one_password_export() -> serde_json::Value {
    json!({"accounts": [{"attrs": {"accountName": "Team", "name": "Team"}, "vaults": [
    {"attrs": {"uuid": "v1", "name": "Engineering", "type": "U"}, "items": [
        {"uuid": "i1", "state": "active", "categoryUuid": "001",
         "overview": {"title": "AWS console", "url": "https://aws.amazon.com", "tags": ["cloud"]},
         "details": {"loginFields": [
             {"value": "admin", "name": "username", "fieldType": "T", "designation": "username"},
             {"value": PASSWORD, "name": "password", "fieldType": "P", "designation": "password"}],
            "notesPlain": NOTE,
            "sections": [{"title": "", "fields": [
                {"title": "one-time password", "id": "TOTP_1", "value": {"totp": TOTP}},
                {"title": "region", "id": "r", "value": {"string": VISIBLE}}]}]}},
        {"uuid": "i2", "state": "active", "categoryUuid": "112",
         "overview": {"title": "OpenAI API", "tags": []},
         "details": {"sections": [{"title": "", "fields": [
             {"title": "credential", "id": "credential", "value": {"concealed": HIDDEN}},
             {"title": "username", "id": "username", "value": {"string": "svc"}}]}]}},
        {"uuid": "i3", "state": "active", "categoryUuid": "002",
         "overview": {"title": "Visa"},
         "details": {"sections": [{"title": "", "fields": [
             {"title": "number", "id": "ccnum", "value": {"creditCardNumber": CARD}},
             {"title": "verification number", "id": "cvv", "value": {"concealed": CVV}}]}]}},
        {"uuid": "i4", "state": "active", "categoryUuid": "114",
         "overview": {"title": "build box"},
         "details": {"sections": [{"title": "", "fields": [
             {"title": "private key", "id": "private_key", "value": {"sshKey": {"privateKey": SSH, "metadata": {}}}}]}]}},
        {"uuid": "i5", "state": "deleted", "categoryUuid": "001",
         "overview": {"title": "Gone"}, "details": {"loginFields": [{"value": TRASHED, "fieldType": "P", "designation": "password"}]}},
        {"uuid": "i6", "state": "active", "categoryUuid": "003",
         "overview": {"title": "Secure note"}, "details": {"notesPlain": NOTE}}
    ]}]}]})
}

#[test]
fn one_password_1pux() {
    let dir = tempfile::tempdir().unwrap();
    let path = one_pux(dir.path(), &one_password_export());
    let plan = plan(&path, false);
    assert_eq!(plan.kind, SourceKind::OnePux);
    assert_eq!(
        rows(&plan),
        [
            ("AWS console › password".into(), "AWS_CONSOLE_PASSWORD".into(), "Engineering".into()),
            (
                "AWS console › one-time password".into(),
                "AWS_CONSOLE_ONE_TIME_PASSWORD".into(),
                "Engineering".into()
            ),
            ("OpenAI API".into(), "OPENAI_API".into(), "Engineering".into()),
            ("Visa › number".into(), "VISA_NUMBER".into(), "Engineering".into()),
            ("Visa › verification number".into(), "VISA_VERIFICATION_NUMBER".into(), "Engineering".into()),
            ("build box".into(), "BUILD_BOX".into(), "Engineering".into()),
        ]
    );
    assert_eq!(
        plan.rows[0].description,
        "AWS console — https://aws.amazon.com (user admin) · from 1Password"
    );
    assert_eq!(plan.rows[2].description, "OpenAI API (user svc) · from 1Password");
    let skipped: Vec<&str> = plan.skipped.iter().map(|s| s.why.as_str()).collect();
    assert_eq!(skipped, ["in the trash", "only a note: imported with --include-notes"]);
    shown(&plan);
    let (_vault_dir, mut vault) = fresh();
    vault.import(plan.into_entries(), false, &|_| {}).unwrap();
    for (name, expected) in [
        ("AWS_CONSOLE_PASSWORD", PASSWORD),
        ("AWS_CONSOLE_ONE_TIME_PASSWORD", TOTP),
        ("OPENAI_API", HIDDEN),
        ("VISA_NUMBER", CARD),
        ("VISA_VERIFICATION_NUMBER", CVV),
        ("BUILD_BOX", SSH),
    ] {
        assert_eq!(value(&mut vault, name), expected, "{name}");
    }
}

#[test]
fn one_password_csv_and_keepassxc_csv_and_flat_sources() {
    let dir = tempfile::tempdir().unwrap();
    let op = write(
        dir.path(),
        "1password.csv",
        format!("Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\nSentry,https://sentry.io,me,{PASSWORD},,false,false,ops;web,\n").as_bytes(),
    );
    let op_plan = plan(&op, false);
    assert_eq!(
        (op_plan.kind, rows(&op_plan)),
        (SourceKind::OnePasswordCsv, vec![("Sentry".into(), "SENTRY".into(), "ops".into())])
    );

    let kp = write(
        dir.path(),
        "keepassxc.csv",
        format!(
            "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n\
             \"Root/Dev/APIs\",\"Twilio\",\"acct\",\"{PASSWORD}\",\"https://twilio.com\",\"\",\"\",\"0\",\"2026-01-01T00:00:00Z\",\"2026-01-01T00:00:00Z\"\n\
             \"Root/Recycle Bin\",\"Old\",\"\",\"{TRASHED}\",\"\",\"\",\"\",\"0\",\"\",\"\"\n"
        )
        .as_bytes(),
    );
    let kp_plan = plan(&kp, false);
    assert_eq!(
        (kp_plan.kind, rows(&kp_plan)),
        (SourceKind::KeepassCsv, vec![("Twilio".into(), "TWILIO".into(), "APIs".into())])
    );
    assert_eq!(kp_plan.skipped[0].why, "in the trash");

    // Doppler's `secrets download --format json`; Infisical's json and csv; a .env.
    for (file, text, kind) in [
        ("doppler.json", format!(r#"{{"DATABASE_URL": "{HIDDEN}", "port": 5432}}"#), SourceKind::Json),
        (
            "infisical.json",
            format!(
                r#"[{{"key": "DATABASE_URL", "value": "{HIDDEN}", "type": "shared"}}, {{"key": "port", "value": "5432"}}]"#
            ),
            SourceKind::Infisical,
        ),
        ("infisical.csv", format!("Key,Value\nDATABASE_URL,{HIDDEN}\nport,5432\n"), SourceKind::Csv),
        ("secrets.env", format!("DATABASE_URL={HIDDEN}\nport=5432\n"), SourceKind::Dotenv),
    ] {
        let flat = plan(&write(dir.path(), file, text.as_bytes()), false);
        // Keys are names already, and keep their case.
        let names: Vec<String> = flat.rows.iter().map(|row| row.name.to_string()).collect();
        assert_eq!((flat.kind, names), (kind, vec!["DATABASE_URL".to_owned(), "port".to_owned()]), "{file}");
        shown(&flat);
    }
}

#[test]
fn a_mapping_renames_and_drops_and_refuses_what_is_not_in_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bw.json", bitwarden_export().to_string().as_bytes());
    let mut plan = plan(&path, false);
    let mapping = Mapping::parse(
        "[names]\n\"GitHub › API key\" = \"GH_TOKEN\"\n\"GitHub › TOTP\" = \"\"\n\"Company card › number\" = \"\"\n",
    )
    .unwrap();
    plan.apply_mapping(&mapping).unwrap();
    let names: Vec<String> = plan.rows.iter().map(|row| row.name.to_string()).collect();
    assert_eq!(names, ["GITHUB_PASSWORD", "GH_TOKEN", "COMPANY_CARD_CODE", "ME", "DEPLOY_KEY"]);
    assert!(plan.skipped.iter().any(|s| s.source == "GitHub › TOTP" && s.why == "dropped by the mapping"));

    for (text, expected) in [
        ("[names]\n\"Nope › x\" = \"X\"\n", "which is not in the plan"),
        ("[names]\n\"GitHub › API key\" = \"ME\"\n", "two entries would be named ME"),
        ("[names]\n\"GitHub › API key\" = \"bad name\"\n", "secret name"),
        ("names = 3\n", "invalid mapping"),
    ] {
        let mut plan = self::plan(&path, false);
        let err = Mapping::parse(text).and_then(|mapping| plan.apply_mapping(&mapping)).unwrap_err();
        assert!(err.to_string().contains(expected), "{text:?}: {err}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn the_apps_choices_rename_and_leave_out_rows_or_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bw.json", bitwarden_export().to_string().as_bytes());
    let names = |plan: &Plan| plan.rows.iter().map(|row| row.name.to_string()).collect::<Vec<_>>();
    let original = names(&plan(&path, false));
    let keep = |plan: &Plan| plan.rows.iter().map(|row| Some(row.name.to_string())).collect::<Vec<_>>();

    // Refused whole: a bad name, two rows under one name, a wrong count.
    let mut plan = plan(&path, false);
    let mut bad = keep(&plan);
    bad[0] = Some("bad name".into());
    let mut twice = keep(&plan);
    twice[1] = twice[0].clone();
    for (choices, expected) in
        [(bad, "secret name"), (twice, "two entries would be named"), (vec![None], "1 given for a plan of")]
    {
        let err = plan.choose(&choices).unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
        assert_eq!((err.kind(), names(&plan)), (ErrorKind::InvalidInput, original.clone()));
    }

    let mut choices = keep(&plan);
    choices[1] = Some("GH_TOKEN".into());
    choices[2] = None;
    let left_out = plan.rows[2].source.clone();
    plan.choose(&choices).unwrap();
    let mut expected = original.clone();
    expected[1] = "GH_TOKEN".into();
    expected.remove(2);
    assert_eq!(names(&plan), expected);
    assert!(plan.skipped.iter().any(|s| s.source == left_out && s.why == "left out by you"));
}

#[test]
fn bad_files_get_an_error_naming_the_file_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = bitwarden_export().to_string();
    let cases: Vec<(&str, Vec<u8>, Option<SourceKind>, &str)> = vec![
        ("unknown.bin", vec![0, 159, 146, 150, 1, 2], None, "format was not recognised"),
        (
            "truncated.json",
            truncated.as_bytes()[..truncated.len() / 2].to_vec(),
            Some(SourceKind::Bitwarden),
            "not JSON",
        ),
        ("not-a-zip.1pux", b"PK\x03\x04garbage".to_vec(), None, "not a zip archive"),
        ("empty-zip.1pux", empty_zip(), Some(SourceKind::OnePux), "no export.data"),
        ("list.json", b"[1, 2]".to_vec(), Some(SourceKind::Json), "expected an object"),
        ("nested.json", br#"{"A": {"b": 1}}"#.to_vec(), None, "\"A\" is not text"),
        (
            "broken.xml",
            b"<?xml version='1.0'?><KeePassFile><Root><Group>".to_vec(),
            None,
            "not well-formed XML",
        ),
        ("other.xml", b"<?xml version='1.0'?><KeePassFile/>".to_vec(), None, "it has no <Root>"),
    ];
    for (file, bytes, kind, expected) in cases {
        let path = write(dir.path(), file, &bytes);
        let err = import::read(&path, &ReadOptions { kind, ..Default::default() }).err().unwrap();
        let text = err.to_string();
        assert!(text.contains(file) && text.contains(expected), "{file}: {text}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{file}");
    }

    // A 2 GB file is refused from its size, before anything is read.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge).unwrap().set_len(2 << 30).unwrap();
    let err = read(&huge).err().unwrap().to_string();
    assert!(err.contains("huge.json") && err.contains("larger than 256 MiB"), "{err}");

    // A zip bomb: export.data unpacks past the limit; reading stops there.
    let bomb = dir.path().join("bomb.1pux");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("export.data", options).unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..260 {
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 4 << 20, "the bomb should be small on disk");
    let err = read(&bomb).err().unwrap().to_string();
    assert!(err.contains("bomb.1pux") && err.contains("unpacks to more than 64 MiB"), "{err}");

    // An import that fails midway writes nothing (one transaction).
    let (_vault_dir, mut vault) = fresh();
    let big = "x".repeat(70 * 1024);
    let path =
        write(dir.path(), "too-big.json", json!({"FIRST": "fine", "SECOND": big}).to_string().as_bytes());
    let too_big = plan(&path, false);
    assert!(vault.import(too_big.into_entries(), false, &|_| {}).is_err());
    assert!(vault.list().unwrap().is_empty());
}

/// The child half of `hostile_files_stay_within_memory_and_time_limits`:
/// reads the file it is given and says how it went (with the peak memory it
/// took); does nothing in a normal run.
#[test]
fn hostile_file_child() {
    let Ok(path) = std::env::var("KEYHAVEN_HOSTILE_FILE") else { return };
    let kind = std::env::var("KEYHAVEN_HOSTILE_KIND").ok().map(|kind| kind.parse::<SourceKind>().unwrap());
    let options = ReadOptions { kind, passphrase: Some(SecretString::from("x")), keyfile: None };
    let outcome = match import::read(Path::new(&path), &options) {
        Ok(source) => format!("read {} items", source.items.len()),
        Err(err) => format!("refused: {err}"),
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap_or("VmHWM: ?");
    println!("\nOUTCOME {outcome}\nPEAK {}", peak.trim_start_matches("VmHWM:").trim());
}

/// A KDBX 4 header whose key derivation is `kdf` (a variant dictionary's
/// entries), and nothing after it: what is refused must be refused here.
fn kdbx4_header(kdf: &[(&str, u8, Vec<u8>)]) -> Vec<u8> {
    let mut dict = vec![0x00, 0x01];
    for (key, kind, value) in kdf {
        dict.push(*kind);
        dict.extend((key.len() as u32).to_le_bytes());
        dict.extend(key.as_bytes());
        dict.extend((value.len() as u32).to_le_bytes());
        dict.extend(value);
    }
    dict.push(0);
    let mut file = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 4, 0];
    let aes256 =
        [0x31, 0xc1, 0xf2, 0xe6, 0xbf, 0x71, 0x43, 0x50, 0xbe, 0x58, 0x05, 0x21, 0x6a, 0xfc, 0x5a, 0xff];
    for (id, data) in
        [(2u8, aes256.to_vec()), (3, vec![1, 0, 0, 0]), (4, vec![7; 32]), (7, vec![9; 16]), (11, dict)]
    {
        file.push(id);
        file.extend((data.len() as u32).to_le_bytes());
        file.extend(data);
    }
    file.extend([0, 4, 0, 0, 0, 13, 10, 13, 10]);
    file.extend([0u8; 64]);
    file
}

fn zipped(name: &str, write: impl FnOnce(&mut dyn std::io::Write)) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_level(Some(9));
    zip.start_file(name, options).unwrap();
    write(&mut zip);
    zip.finish().unwrap().into_inner()
}

/// Every importer's entry point given files built to hang it, exhaust its
/// memory or its stack: each is read by a child process of this test under
/// a 1 GiB address-space and a 60 s CPU limit (prlimit), and must come back
/// with a clear refusal, not a crash or a kill, well within the limits.
#[test]
fn hostile_files_stay_within_memory_and_time_limits() {
    let argon2d =
        [0xef, 0x63, 0x6d, 0xdf, 0x8c, 0x29, 0x44, 0x4b, 0x91, 0xf7, 0xa9, 0xa4, 0x03, 0xe3, 0x0a, 0x0c];
    let aes_kdf =
        [0xc9, 0xd9, 0xf3, 0x9a, 0x62, 0x8a, 0x44, 0x60, 0xbf, 0x74, 0x0d, 0x08, 0xc1, 0x8a, 0x4f, 0xea];
    let argon2 = |memory: u64, passes: u64| {
        kdbx4_header(&[
            ("$UUID", 0x42, argon2d.to_vec()),
            ("S", 0x42, vec![1; 32]),
            ("M", 0x05, memory.to_le_bytes().to_vec()),
            ("I", 0x05, passes.to_le_bytes().to_vec()),
            ("P", 0x04, 2u32.to_le_bytes().to_vec()),
        ])
    };
    let rounds = kdbx4_header(&[
        ("$UUID", 0x42, aes_kdf.to_vec()),
        ("S", 0x42, vec![1; 32]),
        ("R", 0x05, u64::MAX.to_le_bytes().to_vec()),
    ]);
    let nested = format!(
        "<KeePassFile><Root>{}{}</Root></KeePassFile>",
        "<Group><Name>g</Name>".repeat(20_000),
        "</Group>".repeat(20_000)
    );
    let spaces = vec![b' '; 1 << 20];
    let bomb = zipped("export.data", |out| (0..260).for_each(|_| out.write_all(&spaces).unwrap()));
    let flood = zipped("export.data", |out| {
        out.write_all(br#"{"accounts":[{"vaults":[{"items":["#).unwrap();
        let chunk = "{},".repeat(1 << 16);
        (0..40).for_each(|_| out.write_all(chunk.as_bytes()).unwrap());
        out.write_all(b"{}]}]}]}").unwrap();
    });
    // The yardstick: a realistic export of 10,000 items, read in full.
    let items: Vec<serde_json::Value> = (0..10_000)
        .map(|i| {
            json!({"uuid": format!("i{i}"), "state": "active", "overview": {"title": format!("Service {i}"),
                "url": format!("https://s{i}.example")}, "details": {"loginFields": [
                {"value": format!("user{i}"), "name": "username", "fieldType": "T", "designation": "username"},
                {"value": format!("pw-{i:05}-0123456789"), "name": "password", "fieldType": "P", "designation": "password"}],
                "notesPlain": "", "sections": []}})
        })
        .collect();
    let data = json!({"accounts": [{"vaults": [{"attrs": {"name": "Work"}, "items": items}]}]}).to_string();
    let realistic = zipped("export.data", |out| out.write_all(data.as_bytes()).unwrap());
    let cases: Vec<(&str, Vec<u8>, Option<&str>, &str)> = vec![
        ("realistic.1pux", realistic, None, "read 10000 items"),
        ("rounds.kdbx", rounds, None, "18446744073709551615 AES-KDF rounds"),
        ("memory.kdbx", argon2(64 << 30, 2), None, "65536 MiB of memory"),
        ("passes.kdbx", argon2(64 << 20, 4_000_000_000), None, "passes 4000000000"),
        ("nested.xml", nested.into_bytes(), None, "nests deeper than 256 levels"),
        ("bomb.1pux", bomb, None, "unpacks to more than 64 MiB"),
        ("flood.1pux", flood, None, "more than 1000000 list entries"),
        (
            "flood.json",
            format!("[{}{{\"key\":\"A\",\"value\":\"b\"}}]", r#"{"key":"A","value":"b"},"#.repeat(300_000))
                .into_bytes(),
            None,
            "more than 100000 entries",
        ),
        (
            "flood.csv",
            format!("key,value\n{}", "a,b\n".repeat(3_000_000)).into_bytes(),
            None,
            "more than 100000 rows",
        ),
        ("flood.env", "A=1\n".repeat(3_000_000).into_bytes(), Some("dotenv"), "more than 100000 variables"),
        (
            "wide.csv",
            format!("key,value{}\na,b\n", ",x".repeat(100_000)).into_bytes(),
            None,
            "more than 1000 columns",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (file, bytes, kind, expected) in cases {
        let path = write(dir.path(), file, &bytes);
        let mut child = std::process::Command::new("prlimit");
        child
            .args(["--as=1073741824", "--cpu=60", "--"])
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", "hostile_file_child", "--nocapture", "--test-threads=1"])
            .env("KEYHAVEN_HOSTILE_FILE", &path);
        if let Some(kind) = kind {
            child.env("KEYHAVEN_HOSTILE_KIND", kind);
        }
        let started = std::time::Instant::now();
        let out = child.output().expect("prlimit (util-linux)");
        let took = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{file}: the child failed ({:?}): {stdout}", out.status);
        let outcome = stdout.lines().find_map(|line| line.strip_prefix("OUTCOME ")).unwrap_or("");
        let peak = stdout.lines().find_map(|line| line.strip_prefix("PEAK ")).unwrap_or("?");
        assert!(outcome.contains(expected), "{file}: {outcome}");
        assert!(took < std::time::Duration::from_secs(30), "{file}: {took:?}");
        let said = outcome.split(':').next().unwrap_or(outcome);
        eprintln!(
            "import {file} ({} KiB): {said} in {:.2} s, peak {peak}",
            bytes.len() >> 10,
            took.as_secs_f64()
        );
    }
}

fn empty_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("readme.txt", zip::write::SimpleFileOptions::default()).unwrap();
    zip.finish().unwrap().into_inner()
}

mod never_panic {
    use proptest::prelude::*;

    use super::*;

    /// 64 cases in `make test`; `make fuzz` sets KEYHAVEN_FUZZ_CASES higher.
    fn cases() -> u32 {
        std::env::var("KEYHAVEN_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        /// A KeePass database's header of any content after its signature:
        /// an error or items, never a panic, and nothing derived past the limits.
        #[test]
        fn any_kdbx_header(major in prop_oneof![Just(3u16), Just(4u16), any::<u16>()],
                           fields in proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..12)) {
            let mut bytes = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0];
            bytes.extend(major.to_le_bytes());
            for (id, data) in fields {
                bytes.push(id);
                if major == 4 { bytes.extend((data.len() as u32).to_le_bytes()) } else { bytes.extend((data.len() as u16).to_le_bytes()) }
                bytes.extend(data);
            }
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "db.kdbx", &bytes);
            let options = ReadOptions { passphrase: Some(SecretString::from("x")), ..Default::default() };
            let _ = import::read(&path, &options);
        }

        /// KeePass XML built from its own pieces in any order and nesting.
        #[test]
        fn any_keepass_xml(pieces in proptest::collection::vec(proptest::sample::select(vec![
            "<KeePassFile>", "</KeePassFile>", "<Root>", "</Root>", "<Group>", "</Group>", "<Entry>", "</Entry>",
            "<String>", "</String>", "<Key>Password</Key>", "<Key>Title</Key>", "<Value>v</Value>",
            "<Value ProtectInMemory=\"True\">p</Value>", "<Name>n</Name>", "<Meta><RecycleBinUUID>u</RecycleBinUUID></Meta>",
            "<UUID>u</UUID>", "<!-- c -->", "<![CDATA[x]]>", "<a b='>'>", "</a>", "<x/>",
        ]), 0..40)) {
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "db.xml", pieces.concat().as_bytes());
            let _ = import::read(&path, &ReadOptions { kind: Some(SourceKind::KeepassXml), ..Default::default() });
        }

        /// Any bytes, read as any format: an error or items, never a panic.
        #[test]
        fn any_bytes_as_any_format(bytes in proptest::collection::vec(any::<u8>(), 0..512), which in 0..SourceKind::ALL.len()) {
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), "input", &bytes);
            let kind = SourceKind::ALL[which].1;
            let options = ReadOptions { kind: Some(kind), passphrase: Some(SecretString::from("x")), keyfile: None };
            if let Ok(source) = import::read(&path, &options) {
                let _ = Plan::new(source, PlanOptions { include_notes: true });
            }
        }

        /// Valid JSON of any shape in the Bitwarden and 1Password readers.
        #[test]
        fn any_json_shape(value in json_value(), encrypted in any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let export = json!({"encrypted": encrypted, "passwordProtected": true, "items": [value.clone()],
                "kdfType": 1, "kdfIterations": 1, "kdfMemory": 1, "kdfParallelism": 1, "salt": "s",
                "encKeyValidation_DO_NOT_EDIT": "2.AAAA|AAAA|AAAA", "data": "2.|x|"});
            let path = write(dir.path(), "bw.json", export.to_string().as_bytes());
            let options = ReadOptions { passphrase: Some(SecretString::from("x")), ..Default::default() };
            let _ = import::read(&path, &options).map(|s| Plan::new(s, PlanOptions::default()));
            let pux = one_pux(dir.path(), &json!({"accounts": [{"vaults": [{"items": [value]}]}]}));
            let _ = read(&pux).map(|s| Plan::new(s, PlanOptions::default()));
        }
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[a-zA-Z0-9 ›_-]{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            let keys = prop_oneof![
                Just("name".to_owned()),
                Just("login".to_owned()),
                Just("password".to_owned()),
                Just("fields".to_owned()),
                Just("type".to_owned()),
                Just("value".to_owned()),
                Just("details".to_owned()),
                Just("sections".to_owned()),
                Just("overview".to_owned()),
                Just("title".to_owned()),
                Just("concealed".to_owned()),
                Just("sshKey".to_owned()),
                Just("loginFields".to_owned()),
                Just("fieldType".to_owned()),
                Just("uris".to_owned()),
                Just("card".to_owned()),
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(keys, inner, 0..5)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }
}

/// A KDBX 4 database with Argon2 (KeePassXC's format and KDF), written by the
/// keepass crate and checked to open in the real keepassxc-cli first.
#[test]
fn kdbx4_argon2_with_custom_fields_and_a_recycle_bin() {
    use keepass::{
        Database, DatabaseKey,
        config::{DatabaseConfig, KdfConfig},
        db::{Entry, Group, Value},
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = DatabaseConfig::default();
    if let KdfConfig::Argon2 { iterations, memory, .. } = &mut config.kdf_config {
        (*iterations, *memory) = (2, 8 << 20);
    }
    let mut db = Database::new(config);
    let entry = |title: &str, fields: &[(&str, &str, bool)]| {
        let mut entry = Entry::new();
        entry.fields.insert("Title".into(), Value::Unprotected(title.into()));
        for &(key, value, protected) in fields {
            let value = if protected {
                Value::Protected(value.as_bytes().to_vec().into())
            } else {
                Value::Unprotected(value.into())
            };
            entry.fields.insert(key.into(), value);
        }
        entry
    };
    let mut apis = Group::new("APIs");
    apis.entries.push(entry(
        "Anthropic",
        &[
            ("UserName", "team", false),
            ("Password", PASSWORD, true),
            ("URL", "https://console.anthropic.com", false),
            ("API key", HIDDEN, true),
            ("region", VISIBLE, false),
            ("Notes", NOTE, false),
        ],
    ));
    let mut bin = Group::new("Recycle Bin");
    bin.entries.push(entry("Old", &[("Password", TRASHED, true)]));
    db.meta.recyclebin_uuid = Some(bin.uuid);
    db.root.groups.push(apis);
    db.root.groups.push(bin);
    db.root.entries.push(entry("At the root", &[("Password", CVV, true)]));
    let path = dir.path().join("keepassxc.kdbx");
    db.save(&mut std::fs::File::create(&path).unwrap(), DatabaseKey::new().with_password("kdbx password"))
        .unwrap();

    // The real KeePassXC reads it, and calls its KDF Argon2.
    let mut info = std::process::Command::new("keepassxc-cli")
        .args(["db-info", path.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("keepassxc-cli (scripts/install-deps.sh test)");
    info.stdin.take().unwrap().write_all(b"kdbx password\n").unwrap();
    let info = String::from_utf8(info.wait_with_output().unwrap().stdout).unwrap();
    assert!(info.contains("KDF: Argon2"), "{info}");

    assert!(matches!(read(&path).err().unwrap(), Error::ImportPassphraseNeeded(_)));
    let wrong = ReadOptions { passphrase: Some(SecretString::from("nope")), ..Default::default() };
    assert!(matches!(import::read(&path, &wrong).err().unwrap(), Error::WrongImportPassphrase(_)));
    let right = ReadOptions { passphrase: Some(SecretString::from("kdbx password")), ..Default::default() };
    let plan = Plan::new(import::read(&path, &right).unwrap(), PlanOptions::default());
    assert_eq!(plan.kind, SourceKind::Kdbx);
    assert_eq!(
        rows(&plan),
        [
            ("At the root".into(), "AT_THE_ROOT".into(), String::new()),
            ("Anthropic › password".into(), "ANTHROPIC_PASSWORD".into(), "APIs".into()),
            ("Anthropic › API key".into(), "ANTHROPIC_API_KEY".into(), "APIs".into()),
        ]
    );
    assert_eq!(
        plan.rows[1].description,
        "Anthropic — https://console.anthropic.com (user team) · from KeePass"
    );
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!((plan.skipped[0].source.as_str(), plan.skipped[0].why.as_str()), ("Old", "in the trash"));
    shown(&plan);
    let (_vault_dir, mut vault) = fresh();
    vault.import(plan.into_entries(), false, &|_| {}).unwrap();
    assert_eq!(value(&mut vault, "ANTHROPIC_API_KEY"), HIDDEN);
    assert_eq!(value(&mut vault, "AT_THE_ROOT"), CVV);
}

/// An SSH key kept as KeePassXC's SSH agent integration keeps one, an
/// attachment of its entry: made with keepassxc-cli itself, read from the
/// database (KDBX 4's inner header) and from its XML export (<Meta><Binaries>).
#[test]
fn a_keepassxc_attachment_holding_a_private_key_comes_in_as_an_ssh_key() {
    use keyhaven_core::secret::SecretKind;
    let dir = tempfile::tempdir().unwrap();
    let key = ssh_key::PrivateKey::random(&mut rand::rngs::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
    std::fs::write(
        dir.path().join("id_ed25519"),
        key.to_openssh(ssh_key::LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(dir.path().join("readme.txt"), "not a key").unwrap();
    let cli = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new("keepassxc-cli")
            .args(args)
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("keepassxc-cli (scripts/install-deps.sh test)");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "keepassxc-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    cli(&["db-create", "-q", "-p", "-t", "100", "db.kdbx"], "kx pw\nkx pw\n");
    cli(&["add", "-q", "db.kdbx", "deploy box"], "kx pw\n");
    cli(&["attachment-import", "-q", "db.kdbx", "deploy box", "id_ed25519", "id_ed25519"], "kx pw\n");
    cli(&["attachment-import", "-q", "db.kdbx", "deploy box", "readme.txt", "readme.txt"], "kx pw\n");
    let xml = cli(&["export", "-q", "-f", "xml", "db.kdbx"], "kx pw\n");
    let xml_path = write(dir.path(), "export.xml", &xml);

    let options = ReadOptions { passphrase: Some(SecretString::from("kx pw")), ..Default::default() };
    for (path, options) in [(dir.path().join("db.kdbx"), options), (xml_path, ReadOptions::default())] {
        let plan = Plan::new(import::read(&path, &options).unwrap(), PlanOptions::default());
        let kinds: Vec<(String, String, SecretKind)> =
            plan.rows.iter().map(|row| (row.source.clone(), row.name.to_string(), row.kind)).collect();
        assert_eq!(
            kinds,
            [("deploy box".into(), "DEPLOY_BOX".into(), SecretKind::SshKey)],
            "{}",
            path.display()
        );
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
        let (_vault_dir, mut vault) = fresh();
        vault.import(plan.into_entries(), false, &|_| {}).unwrap();
        let stored = vault.ssh_private_key(&SecretName::parse("DEPLOY_BOX").unwrap()).unwrap();
        assert_eq!(stored.public_key().key_data(), key.public_key().key_data());
    }
}

/// A KDBX 3.1 database (AES-KDF), as KeePass 2 and older KeePassXC wrote
/// them: a committed fixture made by kdbxweb (fixtures/make-kdbx3.mjs), since
/// keepassxc-cli 2.7 only writes KDBX 4.
#[test]
fn kdbx3_1_with_aes_kdf() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keepass-3.1.kdbx");
    assert_eq!(std::fs::read(&path).unwrap()[8..12], [1, 0, 3, 0], "the fixture is KDBX 3.1");
    let wrong = ReadOptions { passphrase: Some(SecretString::from("nope")), ..Default::default() };
    assert!(matches!(import::read(&path, &wrong).err().unwrap(), Error::WrongImportPassphrase(_)));
    let right = ReadOptions { passphrase: Some(SecretString::from("kdbx3 password")), ..Default::default() };
    let plan = Plan::new(import::read(&path, &right).unwrap(), PlanOptions::default());
    assert_eq!(plan.kind, SourceKind::Kdbx);
    assert_eq!(
        rows(&plan),
        [
            ("Router".into(), "ROUTER".into(), String::new()),
            ("Mailgun › password".into(), "MAILGUN_PASSWORD".into(), "APIs".into()),
            ("Mailgun › API key".into(), "MAILGUN_API_KEY".into(), "APIs".into()),
        ]
    );
    assert_eq!((plan.skipped[0].source.as_str(), plan.skipped[0].why.as_str()), ("Gone", "in the trash"));
    let text = shown(&plan);
    assert!(!text.contains("kdbx3-"), "a value in the plan: {text}");
    let (_vault_dir, mut vault) = fresh();
    vault.import(plan.into_entries(), false, &|_| {}).unwrap();
    assert_eq!(value(&mut vault, "MAILGUN_API_KEY"), "kdbx3-mailgun-api-key");
    assert_eq!(value(&mut vault, "ROUTER"), "kdbx3-router-password");
}
