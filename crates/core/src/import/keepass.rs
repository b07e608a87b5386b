//! KeePass and KeePassXC: the XML and the CSV `keepassxc-cli export` writes
//! (the CSV as "Group","Title","Username","Password","URL","Notes","TOTP",…
//! with the group as a path from the root, "Passwords/Dev/APIs"), and the
//! walk over KeePass's XML that the database reader (`kdbx.rs`) shares: a
//! database holds the same XML, its protected values encrypted.

use std::collections::HashMap;

use base64::Engine as _;
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{Field, Item, Parsed, bad, csv_rows, text};

/// Entry fields KeePass gives every entry; any other is a custom one.
const STANDARD: [&str; 5] = ["Title", "UserName", "Password", "URL", "Notes"];

/// Deeper than any KeePass file nests its groups: refused before parsing,
/// so no parser or walker recurses into a hostile file's depth.
pub const MAX_XML_DEPTH: usize = 256;
/// More XML nodes than any KeePass file of [`super::MAX_ITEMS`] entries
/// holds (about 60 an entry): the parser stops there.
const MAX_XML_NODES: u32 = 8_000_000;

/// A database's attachments by index: the text of each that holds a private
/// key (an SSH key, as KeePassXC's SSH agent integration keeps them), `None`
/// for any other.
pub type Attachments = Vec<Option<Zeroizing<String>>>;
/// Attachments read, at most (indexes past it are not kept).
pub const MAX_ATTACHMENTS: usize = 10_000;
/// An attachment is read only up to a key file's size, with its flags byte.
pub const MAX_ATTACHMENT_READ: u64 = crate::ssh::MAX_KEY_FILE as u64 + 1;

/// `bytes` as text when they are a private key file (`-----BEGIN … PRIVATE KEY-----`).
pub fn private_key_text(bytes: &[u8]) -> Option<Zeroizing<String>> {
    if bytes.len() > crate::ssh::MAX_KEY_FILE || !bytes.starts_with(b"-----BEGIN ") {
        return None;
    }
    let text = Zeroizing::new(String::from_utf8(bytes.to_vec()).ok()?);
    text.lines().next().is_some_and(|line| line.trim_end().ends_with("PRIVATE KEY-----")).then_some(text)
}

/// KDBX 3.1's and the XML export's attachments: `<Meta><Binaries><Binary
/// ID="0" Compressed="True">` base64 (gzip), each decoded only if it is
/// small enough to be a key file.
fn meta_attachments(file: roxmltree::Node) -> Attachments {
    use std::io::Read as _;
    let mut attachments = Attachments::new();
    let binaries = child(file, "Meta").and_then(|meta| child(meta, "Binaries"));
    for binary in
        binaries.iter().flat_map(|binaries| binaries.children()).filter(|node| node.has_tag_name("Binary"))
    {
        let Some(id) =
            binary.attribute("ID").and_then(|id| id.parse::<usize>().ok()).filter(|id| *id < MAX_ATTACHMENTS)
        else {
            continue;
        };
        let text = binary.text().unwrap_or("").trim();
        // Base64 of a gzipped key file is far under 1 MiB.
        let decoded = (text.len() < 1 << 20)
            .then(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .flatten()
            .map(Zeroizing::new);
        let file = decoded.and_then(|bytes| {
            if binary.attribute("Compressed") != Some("True") {
                return Some(bytes);
            }
            let mut plain = Zeroizing::new(Vec::new());
            flate2::read::GzDecoder::new(&bytes[..])
                .take(MAX_ATTACHMENT_READ)
                .read_to_end(&mut plain)
                .ok()?;
            Some(plain)
        });
        if attachments.len() <= id {
            attachments.resize(id + 1, None);
        }
        attachments[id] = file.and_then(|file| private_key_text(&file));
    }
    attachments
}

/// An entry's strings (key, value, protected) as an item: the password and
/// the protected custom strings (KeePassXC's "protect" box) and TOTP are
/// secrets; `keys` are its attachments that hold private keys.
fn entry_item(
    mut strings: Vec<(String, String, bool)>,
    keys: Vec<Field>,
    folder: Option<&str>,
    trashed: bool,
) -> Item {
    strings.sort_by(|a, b| a.0.cmp(&b.0));
    let standard =
        |key: &str| strings.iter().find(|(k, _, _)| k == key).and_then(|(_, value, _)| text(Some(value)));
    let mut fields: Vec<Field> =
        standard("Password").map(|password| Field::concealed("password", password)).into_iter().collect();
    for (key, value, protected) in &strings {
        let otp = key == "otp";
        if !STANDARD.contains(&key.as_str()) && (*protected || otp) && !value.is_empty() {
            fields.push(Field::concealed(if otp { "TOTP" } else { key }, value.clone()));
        }
    }
    fields.extend(keys);
    Item {
        title: standard("Title").unwrap_or_default(),
        folder: folder.map(str::to_owned),
        url: standard("URL"),
        username: standard("UserName"),
        notes: standard("Notes").map(SecretString::from),
        fields,
        trashed,
    }
}

/// KeePass's XML, as `keepassxc-cli export --format xml` writes it (values in
/// the clear, `ProtectInMemory` marking the protected ones). Entries' history
/// is left out.
pub fn xml(bytes: &[u8]) -> Parsed<Vec<Item>> {
    walk_document(bytes, &HashMap::new())
}

/// A database's inner XML: each `Protected` value is opened by `open`, in
/// document order (the inner stream cipher runs through them in that order,
/// history entries included), before the entries are walked.
pub fn kdbx_xml(
    bytes: &[u8],
    open: &mut dyn FnMut(&str) -> Parsed<Zeroizing<String>>,
    attachments: Attachments,
) -> Parsed<Vec<Item>> {
    let text = utf8(bytes)?;
    let doc = document(text)?;
    let mut opened = HashMap::new();
    for node in doc.descendants().filter(|node| node.has_tag_name("Value")) {
        if node.attribute("Protected") == Some("True") {
            opened.insert(node.id(), open(node.text().unwrap_or(""))?);
        }
    }
    items(&doc, &opened, attachments)
}

fn utf8(bytes: &[u8]) -> Parsed<&str> {
    std::str::from_utf8(bytes).map_err(|_| bad("it is not UTF-8 text"))
}

/// Parses `text`, once its nesting is known to be within [`MAX_XML_DEPTH`].
fn document(text: &str) -> Parsed<roxmltree::Document<'_>> {
    if xml_depth(text) > MAX_XML_DEPTH {
        return Err(bad(format!(
            "its XML nests deeper than {MAX_XML_DEPTH} levels, which no KeePass file does"
        )));
    }
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: MAX_XML_NODES };
    roxmltree::Document::parse_with_options(text, options).map_err(|err| match err {
        roxmltree::Error::NodesLimitReached => {
            bad(format!("it holds more than {MAX_XML_NODES} XML nodes, more than an import takes"))
        }
        err => {
            let at = err.pos();
            bad(format!("not well-formed XML (line {}, column {})", at.row, at.col))
        }
    })
}

fn walk_document(bytes: &[u8], opened: &HashMap<roxmltree::NodeId, Zeroizing<String>>) -> Parsed<Vec<Item>> {
    let text = utf8(bytes)?;
    let doc = document(text)?;
    items(&doc, opened, Attachments::new())
}

/// The entries; `attachments` are KDBX 4's (from the inner header), else the
/// XML's own are read.
fn items(
    doc: &roxmltree::Document,
    opened: &HashMap<roxmltree::NodeId, Zeroizing<String>>,
    attachments: Attachments,
) -> Parsed<Vec<Item>> {
    let file = doc.root_element();
    if !file.has_tag_name("KeePassFile") {
        return Err(bad("its root element is not <KeePassFile>"));
    }
    let attachments = if attachments.is_empty() { meta_attachments(file) } else { attachments };
    let bin = child(file, "Meta").and_then(|meta| child_text(meta, "RecycleBinUUID"));
    let root = child(file, "Root").ok_or_else(|| bad("it has no <Root>"))?;
    let mut items = Vec::new();
    for group in root.children().filter(|node| node.has_tag_name("Group")) {
        walk_xml(group, None, bin.as_deref(), false, opened, &attachments, &mut items);
    }
    Ok(items)
}

/// The deepest nesting of elements in `text`, from its tags alone (comments,
/// CDATA, processing instructions, declarations and quoted attribute values
/// skipped): cheap, and never recursive.
pub fn xml_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &[u8]| -> usize {
        memchr::memmem::find(&bytes[from..], end).map_or(bytes.len(), |found| from + found + end.len())
    };
    while let Some(found) = memchr::memchr(b'<', &bytes[at..]) {
        at += found;
        let rest = &bytes[at..];
        if rest.starts_with(b"<!--") {
            at = skip_to(at + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            at = skip_to(at + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            at = skip_to(at + 2, b"?>");
        } else if rest.starts_with(b"<!") {
            at = skip_to(at + 2, b">");
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            at = skip_to(at + 2, b">");
        } else {
            // A start tag: to its `>`, past quoted attribute values.
            let mut quote = None;
            let mut end = at + 1;
            while end < bytes.len() {
                match (quote, bytes[end]) {
                    (None, q @ (b'"' | b'\'')) => quote = Some(q),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                end += 1;
            }
            if bytes.get(end.wrapping_sub(1)) != Some(&b'/') {
                depth += 1;
                deepest = deepest.max(depth);
            }
            at = end + 1;
        }
        if at >= bytes.len() {
            break;
        }
    }
    deepest
}

fn walk_xml(
    group: roxmltree::Node,
    folder: Option<&str>,
    bin: Option<&str>,
    trashed: bool,
    opened: &HashMap<roxmltree::NodeId, Zeroizing<String>>,
    attachments: &Attachments,
    items: &mut Vec<Item>,
) {
    let trashed = trashed || (bin.is_some() && child_text(group, "UUID").as_deref() == bin);
    for entry in group.children().filter(|node| node.has_tag_name("Entry")) {
        let strings = entry.children().filter(|node| node.has_tag_name("String")).filter_map(|string| {
            let key = child_text(string, "Key")?;
            let value = child(string, "Value")?;
            let protected =
                ["ProtectInMemory", "Protected"].iter().any(|name| value.attribute(*name) == Some("True"));
            let text = match opened.get(&value.id()) {
                Some(plain) => plain.to_string(),
                None => value.text().unwrap_or("").to_owned(),
            };
            Some((key, text, protected))
        });
        // <Binary><Key>id_ed25519</Key><Value Ref="0"/></Binary>: a private key becomes an SSH key.
        let keys = entry.children().filter(|node| node.has_tag_name("Binary")).filter_map(|binary| {
            let name = child_text(binary, "Key")?;
            let index: usize = child(binary, "Value")?.attribute("Ref")?.parse().ok()?;
            let text = attachments.get(index)?.as_ref()?;
            Some(Field::ssh_key(&name, text.to_string()))
        });
        items.push(entry_item(strings.collect(), keys.collect(), folder, trashed));
    }
    for sub in group.children().filter(|node| node.has_tag_name("Group")) {
        let name = child_text(sub, "Name");
        walk_xml(sub, name.as_deref(), bin, trashed, opened, attachments, items);
    }
}

fn child<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &str) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|child| child.has_tag_name(name))
}

fn child_text(node: roxmltree::Node, name: &str) -> Option<String> {
    text(child(node, name).and_then(|child| child.text()))
}

/// KeePassXC's recycle bin (and KeePass's, in English).
const RECYCLE_BIN: &str = "Recycle Bin";

pub fn csv(bytes: &[u8]) -> Parsed<Vec<Item>> {
    Ok(csv_rows(bytes)?
        .into_iter()
        .map(|row| {
            let get = |column: &str| row.get(column);
            let fields = row.secrets(&[("password", "password"), ("totp", "TOTP")]);
            let path = get("group").unwrap_or_default();
            let groups: Vec<&str> = path.split('/').collect();
            Item {
                title: get("title").unwrap_or_default(),
                // The innermost group; the root alone is no category.
                folder: (groups.len() > 1).then(|| groups[groups.len() - 1].to_owned()),
                url: get("url"),
                username: get("username"),
                fields,
                notes: get("notes").map(SecretString::from),
                trashed: groups.iter().skip(1).any(|group| *group == RECYCLE_BIN),
            }
        })
        .collect())
}
