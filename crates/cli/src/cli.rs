//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `keyhaven --version`: the version and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("KEYHAVEN_COMMIT"), ")");

#[derive(Parser)]
#[command(
    name = "keyhaven",
    version = VERSION,
    about = "Keyhaven: an encrypted local vault for API keys and credentials",
    after_help = crate::exit::HELP
)]
pub struct Cli {
    /// Vault file [default: the platform data dir's keyhaven/vault.sqlite]
    #[arg(long, global = true, env = "KEYHAVEN_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// Print JSON instead of text (commands that list or describe)
    #[arg(long, global = true)]
    pub json: bool,

    /// Read the passphrase from the first line of stdin (KEYHAVEN_PASSPHRASE also works)
    #[arg(long, global = true)]
    pub passphrase_stdin: bool,

    /// Say nothing on stderr but errors and warnings
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// Colour in help and errors: auto follows the terminal and NO_COLOR
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new vault
    Init {
        #[command(flatten)]
        kdf: KdfArgs,
        #[command(flatten)]
        weak: AllowWeak,
    },
    /// Show the vault's file, key-derivation settings and counts (works locked)
    Info,
    /// Check the passphrase; with --remember, keep the key in the OS keyring
    Unlock {
        /// Remember the key on this device, so later commands need no passphrase
        #[arg(long)]
        remember: bool,
        /// With --remember: for this long only (e.g. 8h, 90m; at most 720h), then it is removed
        #[arg(long = "for", value_name = "DURATION", requires = "remember")]
        lifetime: Option<String>,
    },
    /// Take the remembered key out of the OS keyring until `unlock --remember`
    Lock,
    /// Stop remembering the key on this device
    Forget,
    /// Change the master passphrase; with --rekey also re-encrypt every value to a new key
    Passwd {
        #[command(flatten)]
        kdf: KdfArgs,
        #[command(flatten)]
        weak: AllowWeak,
        /// Re-encrypt every version and remote token to a new key: use it when the old
        /// passphrase, or a copy of the vault file, may be in someone else's hands
        #[arg(long)]
        rekey: bool,
    },
    /// Check every row of the vault file against its integrity tag
    Verify,
    /// List secrets (metadata only; works locked)
    Ls {
        /// Show only names matching this glob (`*`, `?`) or, without wildcards, containing it
        pattern: Option<String>,
        /// List removed secrets (tombstones) instead
        #[arg(long)]
        removed: bool,
        /// Only secrets past or within 7 days of their rotate-by date (remote
        /// API keys that want replacing are named on stderr)
        #[arg(long, conflicts_with = "removed")]
        due: bool,
        /// names: one name a line, for scripts; table (the default); json (as --json)
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Print a secret's value alone on stdout
    Get {
        /// The secret
        name: String,
        /// An earlier version (as `read keyhaven:NAME@VERSION`)
        #[arg(long)]
        version: Option<u32>,
    },
    /// Print the value a reference names (keyhaven:NAME, or keyhaven:NAME@VERSION)
    Read {
        /// keyhaven:NAME or keyhaven:NAME@VERSION
        #[arg(value_name = "REFERENCE")]
        reference: String,
    },
    /// Look for vault values (every version, as written, base64 or URL-encoded) in
    /// files, in what is staged for commit, or in a git history; exit 1 when found
    Scan {
        /// Files and directories [default: .]
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Every blob of the current commit of the repository at PATH [default: .]
        /// instead (of every commit with --all-history)
        #[arg(long, conflicts_with = "staged")]
        git: bool,
        /// With --git: every blob of every commit on every ref
        #[arg(long, requires = "git")]
        all_history: bool,
        /// What `git commit` would record now in the repository at PATH [default: .]
        /// (the pre-commit hook's check)
        #[arg(long)]
        staged: bool,
        /// Write a git pre-commit hook that runs `keyhaven scan --staged`
        #[arg(long, conflicts_with_all = ["paths", "git", "staged"])]
        install_hook: bool,
    },
    /// Fill a template's {{ keyhaven:NAME }} placeholders with values
    Inject {
        /// The template
        #[arg(short = 'i', long = "in", value_name = "TEMPLATE")]
        input: PathBuf,
        /// Write here (created 0600) instead of stdout
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the output file if it exists
        #[arg(long)]
        force: bool,
        /// List the references and whether each resolves; write nothing, reveal nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Add a secret; the value comes from stdin, or a hidden prompt on a terminal
    Set {
        /// The new secret's name (letters, digits and _, not starting with a digit)
        name: String,
        #[command(flatten)]
        fields: FieldArgs,
        #[command(flatten)]
        value: ValueArgs,
        #[command(flatten)]
        push: PushArgs,
    },
    /// Give a secret a new value (a new version). A rotation reminder that had
    /// come (past or within 7 days) moves 90 days ahead, or to --rotate-by
    Rotate {
        /// The secret
        name: String,
        #[command(flatten)]
        value: ValueArgs,
        /// The next rotation reminder (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        rotate_by: Option<String>,
        #[command(flatten)]
        push: PushArgs,
    },
    /// Change a secret's description, category or rotation reminder (the value
    /// and its version stay); sent to the remotes that hold metadata
    Edit {
        /// The secret
        name: String,
        /// What the secret is for ("" clears it)
        #[arg(long)]
        description: Option<String>,
        /// Its group, used by selection rules and filters ("" clears it)
        #[arg(long)]
        category: Option<String>,
        /// The rotation reminder (YYYY-MM-DD)
        #[arg(long, value_name = "DATE", conflicts_with = "no_rotate_by")]
        rotate_by: Option<String>,
        /// Take the rotation reminder away
        #[arg(long)]
        no_rotate_by: bool,
        #[command(flatten)]
        push: PushArgs,
    },
    /// Rename a secret, with all its versions. The old name stays as a
    /// tombstone: a remote that holds it keeps it until `sync --prune`
    Mv {
        /// The secret
        from: String,
        /// Its new name
        to: String,
        #[command(flatten)]
        push: PushArgs,
    },
    /// Remove a secret (kept as a tombstone until `purge`)
    Rm {
        /// One or more names; all are checked before any is removed
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
        #[command(flatten)]
        push: PushArgs,
    },
    /// Delete removed secrets and all their versions for good
    Purge {
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
    },
    /// List a secret's versions (metadata only)
    History {
        /// The secret
        name: String,
    },
    /// Make an earlier version current again (as a new version)
    Rollback {
        /// The secret
        name: String,
        /// The version to make current again
        version: u32,
        #[command(flatten)]
        push: PushArgs,
    },
    /// Import from a .env file or another manager's export (format detected from the content)
    ///
    /// KeePass/KeePassXC (.kdbx, XML, CSV), a pass store (a directory), Bitwarden (JSON,
    /// password-protected JSON, CSV), 1Password (.1pux, CSV), Doppler and Infisical (JSON,
    /// dotenv, CSV), {"NAME": "value"} JSON.
    /// Each hidden field (password, API key, hidden custom field) becomes a secret named
    /// after its item; the folder becomes the category; title, URL and username go to the
    /// description. Items in the trash are skipped. All or nothing, in one transaction.
    Import {
        /// The export, or a pass store's directory
        file: PathBuf,
        /// The format, when it cannot be told from the content
        #[arg(long, value_name = "KIND", value_parser = source_kinds())]
        from: Option<keyhaven_core::import::SourceKind>,
        /// Show what would become which secret (never a value) and write nothing
        #[arg(long)]
        dry_run: bool,
        /// A TOML file renaming or dropping rows of the plan: [names] "Item › field" = "NEW_NAME" (or "" to drop)
        #[arg(long, value_name = "FILE")]
        map: Option<PathBuf>,
        /// Give existing secrets the imported value as a new version
        #[arg(long)]
        overwrite: bool,
        /// Import notes too, each as a secret of its own
        #[arg(long)]
        include_notes: bool,
        /// A KeePass database's key file
        #[arg(long, value_name = "FILE")]
        keyfile: Option<PathBuf>,
    },
    /// Export secrets as .env or JSON; values only with --reveal
    Export {
        /// Only names matching this glob (`*`, `?`) or, without wildcards, containing it
        pattern: Option<String>,
        /// The file format
        #[arg(long, value_enum, default_value_t = ExportFormat::Env)]
        format: ExportFormat,
        /// Include the values (without it: names and metadata only)
        #[arg(long)]
        reveal: bool,
        /// Write here (created 0600, never replacing a file without --force) instead of stdout
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the output file if it exists
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Run a command with secrets as environment variables, masking them in its output
    Run {
        /// Only these secrets (comma-separated names)
        #[arg(long, value_delimiter = ',', value_name = "NAMES", conflicts_with = "env_file")]
        only: Vec<String>,
        /// The variables of these .env files instead: plain values as written,
        /// keyhaven:NAME references resolved (a later file wins)
        #[arg(long, value_name = "FILE")]
        env_file: Vec<PathBuf>,
        /// Let an env file set these variables although they make shells and
        /// loaders run code (BASH_ENV, LD_PRELOAD, NODE_OPTIONS…): left out otherwise
        #[arg(long, value_delimiter = ',', value_name = "NAMES", requires = "env_file")]
        allow_var: Vec<String>,
        /// Give the command only those variables, not this shell's environment
        #[arg(long)]
        clean_env: bool,
        /// Show values in the command's output as they are
        #[arg(long)]
        no_masking: bool,
        /// The command and its arguments
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<std::ffi::OsString>,
    },
    /// Add, list, test or remove remotes (hosted secrets services)
    Remote {
        #[command(subcommand)]
        command: RemoteCommand,
    },
    /// Sync with one remote, or with every remote in turn
    Sync {
        /// The remote [default: all of them]
        remote: Option<String>,
        /// Show the plan; change nothing
        #[arg(long)]
        dry_run: bool,
        /// Propagate removals both ways (without it they are only reported)
        #[arg(long)]
        prune: bool,
        /// Fetch values this device lacks, where the remote can reveal them (RunTools)
        #[arg(long)]
        pull: bool,
        /// With --pull: also create names this vault has never had, without asking
        /// (on a terminal Keyhaven asks; otherwise such names are left on the remote)
        #[arg(long, requires = "pull")]
        accept_new: bool,
        /// Do not ask before the first sync with a remote sends it values
        #[arg(long, short)]
        yes: bool,
    },
    /// List the conflicts sync found (both sides changed)
    Conflicts,
    /// Each remote's last sync, the writes waiting to be sent (with their age),
    /// conflicts and the last failure (works locked)
    Status,
    /// Settle a conflict by keeping one side; `--all` settles every open one
    Resolve {
        /// The secret in conflict
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// The side whose value stays: this vault's (local) or the remote's
        #[arg(long, value_enum)]
        keep: KeepSide,
        /// The remote [default: the only one the secret is in conflict with; with --all, every remote]
        #[arg(long)]
        remote: Option<String>,
        /// Every open conflict (with --remote, that remote's), one side kept for all
        #[arg(long)]
        all: bool,
        /// With --keep remote on a remote that cannot send values back (Runloop, Runtype): mark this
        /// device's copy out of date, so get, run and copy refuse it until a new value is set here
        #[arg(long)]
        accept_unreadable: bool,
    },
    /// Ask a Runtype remote which keys it has: found, missing or revoked
    Check {
        /// The Runtype remote to ask
        #[arg(long)]
        remote: String,
        /// The keys to look for
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Get a Runtype dashboard URL where the missing keys can be filled in
    SetupUrl {
        /// The Runtype remote
        #[arg(long)]
        remote: String,
        /// The keys the dashboard should ask for
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Fill a Runtype remote's intake form: from the vault or typed, then submitted
    Intake {
        /// The Runtype remote whose form to fill
        #[arg(long)]
        remote: String,
        /// Which form: the one for manual keys, a secret, or a product
        #[arg(long, value_enum)]
        source: IntakeSource,
        /// The source's key (manual, secret)
        #[arg(long)]
        key: Option<String>,
        /// More keys (comma-separated)
        #[arg(long, value_delimiter = ',')]
        keys: Vec<String>,
        /// The product (product source)
        #[arg(long)]
        product_id: Option<String>,
        /// Offer the vault's secret of the same name for each item that needs one
        #[arg(long)]
        fill_from_vault: bool,
        /// Submit without asking
        #[arg(long, short)]
        yes: bool,
        /// Do not keep the submitted values in the vault
        #[arg(long)]
        no_store: bool,
        /// Where the service should send you afterwards (on the remote's own site, HTTPS)
        #[arg(long, value_name = "URL")]
        return_url: Option<String>,
    },
    /// Read a keyhaven:// link as the app would, and do what it asks after checking it
    OpenLink {
        /// The keyhaven:// link
        url: String,
    },
    /// Serve the vault's SSH keys to OpenSSH (ssh, ssh-add, git) until stopped
    SshAgent {
        /// The agent's socket [default: $XDG_RUNTIME_DIR/keyhaven/ssh-agent.sock]
        #[arg(long, value_name = "PATH")]
        socket: Option<PathBuf>,
        /// Whether a program is asked about before it first uses a key
        #[arg(long, value_enum, value_name = "WHEN")]
        confirm: ConfirmWhen,
        /// Start without unlocking (for a login session's service): keys are listed, and the
        /// first signature asks for the passphrase through $SSH_ASKPASS
        #[arg(long)]
        locked: bool,
        /// How long a question through $SSH_ASKPASS waits for its answer before the request fails
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
        answer_within: u64,
    },
    /// Be the desktop's keyring: serve programs' items as org.freedesktop.secrets until stopped
    SecretService {
        /// Take the name from the provider that owns it (gnome-keyring allows this)
        #[arg(long)]
        replace: bool,
        /// Let every program of this user read every item without being asked (headless
        /// sessions, tests); otherwise a program's first read asks through $SSH_ASKPASS
        #[arg(long)]
        no_confirm: bool,
        /// How long a question through $SSH_ASKPASS waits for its answer before the read fails
        /// (D-Bus clients give up on a call after 25 s)
        #[arg(long, value_name = "SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600))]
        answer_within: u64,
    },
    /// git's credential helper over the vault's program items (`credential.helper = keyhaven`)
    GitCredential {
        /// What git asks: get, store or erase (anything else is ignored, as git asks of helpers)
        action: String,
    },
    /// Programs allowed "always" to use a key or read an item: list them, or revoke one
    Grants {
        #[command(subcommand)]
        command: GrantsCommand,
    },
    /// The items programs stored (the Secret Service, git): label, attributes, name
    Items {
        #[command(subcommand)]
        command: Option<ItemsCommand>,
    },
    /// SSH keys in the vault: make one, add one from a file, print its public key, list them
    Ssh {
        #[command(subcommand)]
        command: SshCommand,
    },
    /// Print shell completions to stdout: `keyhaven completion bash > ~/.local/share/bash-completion/completions/keyhaven`
    Completion {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man page or shell completions into a folder (for packages)
    #[command(hide = true)]
    Generate {
        #[arg(value_enum)]
        what: Generated,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Show the audit log (what was done, when; never values)
    Log {
        /// How many of the newest entries
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

/// What `keyhaven generate` writes (for packages; hidden from help).
#[derive(Clone, Copy, ValueEnum)]
pub enum Generated {
    /// The man page, keyhaven.1
    Man,
    /// Completions for bash, zsh and fish
    Completions,
    /// The reference in docs/cli.md: every command, its options and the exit codes
    Reference,
}

#[derive(Subcommand)]
pub enum SshCommand {
    /// Make a new key pair in the vault and print its public key
    Generate {
        /// The key's name in the vault (like any secret's: DEPLOY_KEY)
        name: String,
        /// The key type
        #[arg(long = "type", value_enum, default_value_t = SshKeyType::Ed25519)]
        key_type: SshKeyType,
        /// The key's comment, shown after the public key [default: NAME@keyhaven]
        #[arg(long)]
        comment: Option<String>,
    },
    /// Add a private key from an OpenSSH or PEM key file (asks for its passphrase if it has one)
    Add {
        /// The key's name in the vault
        name: String,
        /// The private key file (such as ~/.ssh/id_ed25519); it is left where it is
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Replace the file's comment
        #[arg(long)]
        comment: Option<String>,
    },
    /// Print a key's public key (the authorized_keys line)
    Public {
        /// The key's name in the vault
        name: String,
    },
    /// List the SSH keys: type, fingerprint, comment, whether the agent offers them (works locked)
    Ls,
    /// Whether the agent offers a key (new keys are offered)
    Agent {
        /// The key's name in the vault
        name: String,
        /// on: the agent offers it; off: it is kept, not offered
        #[arg(value_enum)]
        offer: OnOff,
    },
    /// The hosts a key is meant for: the agent offers it first when ssh connects to one
    Hosts {
        /// The key's name in the vault
        name: String,
        /// Host patterns as known_hosts names them (github.com, *.corp.example,
        /// [127.0.0.1]:2222) or a host key's SHA256: fingerprint; none clears the list
        #[arg(value_name = "PATTERN")]
        hosts: Vec<String>,
    },
    /// Whether a connection forwarded from another machine (ssh -A) may sign with a key (new keys: off)
    Forwarding {
        /// The key's name in the vault
        name: String,
        /// on: a forwarded agent may use it; off: only this machine's programs
        #[arg(value_enum)]
        allow: OnOff,
    },
}

#[derive(Subcommand)]
pub enum ItemsCommand {
    /// Ask before every read of an item (on), whatever a program was allowed, or not (off)
    AlwaysAsk {
        /// The item's name (`keyhaven items` lists them)
        name: String,
        /// on: every read asks; off: programs allowed before read without asking
        #[arg(value_enum)]
        state: OnOff,
    },
}

/// `ssh agent|forwarding NAME on|off`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// `ssh-agent --confirm`.
#[derive(Clone, Copy, ValueEnum)]
pub enum ConfirmWhen {
    /// Nobody is asked: every program of this user may use every key offered (headless sessions, tests)
    Never,
    /// The first time a program asks for a key, $SSH_ASKPASS asks you: once, lock (until the agent stops) or always
    Ask,
}

#[derive(Subcommand)]
pub enum GrantsCommand {
    /// List the programs allowed always, with the hash of the binary allowed
    Ls,
    /// Forget a grant: its program is asked again
    Revoke {
        /// The grant's number, as `grants ls` prints it
        id: i64,
    },
}

/// `ssh generate --type`.
#[derive(Clone, Copy, ValueEnum)]
pub enum SshKeyType {
    Ed25519,
    /// ECDSA on NIST P-256
    Ecdsa,
    /// RSA, 3,072 bits
    Rsa,
}

#[derive(Subcommand)]
pub enum RemoteCommand {
    /// Add a remote; its API token is read from stdin, or a hidden prompt on a terminal
    Add {
        /// A name for the remote, used by sync, remote and resolve
        name: String,
        /// Which service's API it speaks
        #[arg(long, value_enum)]
        kind: RemoteKind,
        /// Base URL (HTTPS except on loopback) [default: the service's: https://api.runloop.ai,
        /// https://api.runtype.com, https://tools.runtools.ai; OpenBao: https://127.0.0.1:8200]
        #[arg(long)]
        url: Option<String>,
        /// RunTools: sync your own secrets (user) or the org-wide ones (org)
        #[arg(long, value_enum)]
        scope: Option<RemoteScope>,
        #[command(flatten)]
        kv: KvArgs,
        /// When the API key expires (YYYY-MM-DD): warned about from 14 days before
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
        #[command(flatten)]
        selection: SelectionArgs,
    },
    /// Change what syncs to a remote: add rules, drop rules, or start over
    Edit {
        /// The remote
        name: String,
        #[command(flatten)]
        selection: SelectionArgs,
        /// Drop a rule (an include, category or exclude as given; repeatable)
        #[arg(long, value_name = "RULE")]
        drop: Vec<String>,
        /// Start from nothing chosen, then add the rules given
        #[arg(long)]
        clear: bool,
    },
    /// Show a remote: its rules, and which secrets are chosen for it and which not
    Show {
        /// The remote
        name: String,
    },
    /// Replace a remote's API key (revoked, expired or rotated); its sync state
    /// stays. The new token is read from stdin, or a hidden prompt on a terminal
    SetToken {
        /// The remote
        name: String,
        /// When the new key expires (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
    },
    /// List remotes with their key's age and expiry (works locked)
    Ls {
        /// names: one name a line, for scripts; table (the default); json (as --json)
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Check that a remote answers and accepts its token
    Test {
        /// The remote
        name: String,
    },
    /// Forget a remote and its sync state (nothing changes on the remote)
    Rm {
        /// The remote
        name: String,
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
    },
}

/// What syncs to a remote. A new remote has nothing chosen: nothing is sent
/// until a rule chooses it. A name given exactly wins over patterns and
/// categories; among those, an exclude wins. Names match without regard to case.
#[derive(Args, Default)]
pub struct SelectionArgs {
    /// Sync secrets whose names match: a name, or a pattern such as 'OPENAI_*' (repeatable)
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// Sync every secret of this category (repeatable)
    #[arg(long = "category", value_name = "CATEGORY")]
    pub categories: Vec<String>,
    /// Never sync secrets whose names match, even when included (repeatable)
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RemoteKind {
    Runloop,
    Runtype,
    Runtools,
    /// OpenBao or HashiCorp Vault, KV version 2
    #[value(alias = "vault")]
    Openbao,
}

/// Where an OpenBao remote's secrets live: MOUNT/data/PREFIX/NAME.
#[derive(Args)]
pub struct KvArgs {
    /// OpenBao: the KV version 2 engine's mount path
    #[arg(long, value_name = "PATH", default_value = "secret")]
    pub mount: String,
    /// OpenBao: the folder under the mount that holds the secrets [default: the mount's top]
    #[arg(long, value_name = "PATH", default_value = "")]
    pub prefix: String,
    /// OpenBao: the namespace (OpenBao and Vault Enterprise namespaces)
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// OpenBao: log in with AppRole as this role id (at auth/approle); the secret id is read like a token
    #[arg(long, value_name = "ROLE_ID")]
    pub approle: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RemoteScope {
    User,
    Org,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Names,
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KeepSide {
    Local,
    Remote,
}

#[derive(Args)]
pub struct KdfArgs {
    /// Argon2id memory in MiB [default: 64, or calibrated]
    #[arg(long, value_name = "N")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id iterations [default: calibrated to about 0.5-1 s, at least 3]
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
}

#[derive(Args)]
pub struct AllowWeak {
    /// Accept a passphrase the strength estimate calls weak (tests, throw-away vaults)
    #[arg(long)]
    pub allow_weak: bool,
}

#[derive(Args)]
pub struct FieldArgs {
    /// What the secret is for (shown in ls and the app)
    #[arg(long)]
    pub description: Option<String>,
    /// A group such as provider or database: selection rules and filters use it
    #[arg(long)]
    pub category: Option<String>,
    /// Rotation reminder date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub rotate_by: Option<String>,
}

#[derive(Args)]
pub struct PushArgs {
    /// Change this vault only: send nothing to the remotes now (the next sync
    /// does; KEYHAVEN_NO_PUSH=1 makes this the default)
    #[arg(long)]
    pub no_push: bool,
}

#[derive(Args)]
pub struct ValueArgs {
    /// Generate a random alphanumeric value of LEN characters instead of reading one
    #[arg(long, value_name = "LEN", num_args = 0..=1, default_missing_value = "32")]
    pub generate: Option<usize>,
    /// Store an empty value (refused otherwise: an unset variable piped in, or Enter at the prompt)
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Env,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum IntakeSource {
    Manual,
    Secret,
    Product,
}

/// `--from`'s values, listed in help and completions.
fn source_kinds() -> impl clap::builder::TypedValueParser<Value = keyhaven_core::import::SourceKind> {
    use clap::builder::TypedValueParser as _;
    use keyhaven_core::import::SourceKind;
    clap::builder::PossibleValuesParser::new(SourceKind::ALL.map(|(name, _)| name))
        .map(|name| name.parse::<SourceKind>().expect("one of SourceKind::ALL's names"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every argument of every subcommand says what it is in `--help`.
    #[test]
    fn every_argument_in_help_has_a_description() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() && !arg.is_hide_set() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "keyhaven", &mut missing);
        assert!(missing.is_empty(), "arguments without a description:\n{}", missing.join("\n"));
    }
}
