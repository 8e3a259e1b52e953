//! ccoctl into a world file instead of IAM: roles (and providers) are
//! written into the YAML text of `--world FILE` by inserting lines, so the
//! user's comments, order and layout stay as they were.
//!
//! Every edit is checked before anything is written: the new text must load
//! as a world (the same checks `rolechain serve --world` makes, policies
//! included) and must hold exactly what the edit meant to put there. An edit
//! the line-based approach cannot place safely (say, a flow-style account) is
//! refused with a message instead of being guessed.

use std::path::Path;

use crate::artefacts::yaml::{self, Entry, Node};
use crate::world::{AccountSpec, DocumentSpec, Files, World};

use super::Error;
use super::render::RolePlan;

/// A world file's text and where it lives (for `file:` references).
#[derive(Debug, Clone)]
pub struct WorldText {
    pub text: String,
    pub world: World,
}

impl WorldText {
    pub fn parse(text: String, file: &Path) -> Result<WorldText, Error> {
        let world = World::from_yaml(&text).map_err(|e| Error::new(format!("{}:{e}", file.display())))?;
        Ok(WorldText { text, world })
    }

    fn account(&self, id: &str) -> Option<&AccountSpec> {
        self.world.accounts.iter().find(|a| a.id == id)
    }

    /// The URL (without scheme) of the provider an ARN names: what GetOpenIDConnectProvider
    /// answers, with IAM's error when the world has no such provider.
    pub fn issuer_url(&self, provider_arn: &str) -> Result<String, Error> {
        let not_found = || {
            Error::new(format!(
                "NoSuchEntity: OpenIDConnect Provider not found for arn {provider_arn}"
            ))
            .wrap("failed to get IAM Identity Provider")
        };
        let (account, host_path) = super::split_provider_arn(provider_arn).ok_or_else(not_found)?;
        self.account(account)
            .and_then(|a| {
                a.oidc_providers
                    .iter()
                    .map(|p| scheme_less(&p.url))
                    .find(|u| *u == host_path)
            })
            .map(str::to_string)
            .ok_or_else(not_found)
    }

    /// Makes or updates the role of `plan` in `account`: a new role gets the trust policy,
    /// description, tags and boundary; an existing one only its inline policy (ccoctl's rule).
    /// Answers the role's ARN and whether it was created.
    pub fn apply_role(&mut self, account: &str, plan: &RolePlan) -> Result<(String, bool), Error> {
        let acct = self
            .account(account)
            .ok_or_else(|| Error::new(format!("the world has no account {account}")))?;
        let existing = acct
            .roles
            .iter()
            .position(|r| r.name.eq_ignore_ascii_case(&plan.role_name));
        let (new_text, arn, created) = match existing {
            Some(i) => {
                let role = &acct.roles[i];
                let arn = crate::state::role_arn(account, role.path.as_deref().unwrap_or("/"), &role.name);
                (
                    set_inline_policy(
                        &self.text,
                        account,
                        i,
                        &role.name,
                        &plan.role_name,
                        &plan.permissions_policy,
                    )?,
                    arn,
                    false,
                )
            }
            None => {
                let arn = crate::state::role_arn(account, "/", &plan.role_name);
                (append_item(&self.text, account, "roles", &role_lines(plan))?, arn, true)
            }
        };
        let world = World::from_yaml(&new_text)
            .map_err(|e| Error::new(format!("editing the world file went wrong ({e}); nothing was written")))?;
        let updated = WorldText { text: new_text, world };
        updated.verify_role(account, plan, created)?;
        *self = updated;
        Ok((arn, created))
    }

    /// Checks that the edited world holds what the edit meant.
    fn verify_role(&self, account: &str, plan: &RolePlan, created: bool) -> Result<(), Error> {
        let text_of = |d: Option<&DocumentSpec>| match d {
            Some(DocumentSpec::Text(t)) => Some(t.clone()),
            _ => None,
        };
        let role = self
            .account(account)
            .and_then(|a| a.roles.iter().find(|r| r.name.eq_ignore_ascii_case(&plan.role_name)));
        let ok = role.is_some_and(|r| {
            text_of(r.inline_policies.get(&plan.role_name)).as_deref() == Some(plan.permissions_policy.as_str())
                && (!created
                    || (text_of(Some(&r.trust_policy)).as_deref() == Some(plan.trust_policy.as_str())
                        && r.description.as_deref() == Some(plan.description.as_str())
                        && r.permissions_boundary == plan.permissions_boundary
                        && r.tags.len() == 2))
        });
        if ok {
            Ok(())
        } else {
            Err(Error::new(format!(
                "could not place role {} in account {account} of the world file without disturbing its layout; \
                 nothing was written (add the role by hand, or use block-style YAML for the account)",
                plan.role_name
            )))
        }
    }

    /// Registers a provider for `issuer_url` in `account` unless one with that URL exists (a
    /// world keeps no provider tags, so ccoctl's tag rule becomes a URL rule). Answers the ARN
    /// and whether it was added.
    pub fn ensure_provider(&mut self, account: &str, issuer_url: &str) -> Result<(String, bool), Error> {
        let acct = self
            .account(account)
            .ok_or_else(|| Error::new(format!("the world has no account {account}")))?;
        let arn = crate::state::oidc_provider_arn(account, issuer_url.trim_end_matches('/'));
        if acct
            .oidc_providers
            .iter()
            .any(|p| scheme_less(&p.url) == scheme_less(issuer_url))
        {
            return Ok((arn, false));
        }
        let lines = vec![
            format!("url: {}", quote(issuer_url)),
            format!(
                "clientIds: [{}]",
                super::CLIENT_IDS
                    .iter()
                    .map(|c| quote(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ];
        let new_text = append_item(&self.text, account, "oidcProviders", &lines)?;
        let world = World::from_yaml(&new_text)
            .map_err(|e| Error::new(format!("editing the world file went wrong ({e}); nothing was written")))?;
        let added = world
            .accounts
            .iter()
            .find(|a| a.id == account)
            .is_some_and(|a| a.oidc_providers.iter().any(|p| p.url == issuer_url));
        if !added {
            return Err(Error::new(format!(
                "could not place the provider in account {account} of the world file; nothing was written"
            )));
        }
        *self = WorldText { text: new_text, world };
        Ok((arn, true))
    }

    /// Whether `rolechain serve --world` would load this text (policies, names, references).
    pub fn check_loads(&self, file: &Path) -> Result<(), Error> {
        let base = file.parent().unwrap_or(Path::new("."));
        self.world.build(Files::Dir(base), 0).map(|_| ()).map_err(|mut e| {
            e.file = Some(file.to_path_buf());
            Error::new(format!("the edited world would not load, so nothing was written: {e}"))
        })
    }
}

fn scheme_less(url: &str) -> &str {
    url.strip_prefix("https://").unwrap_or(url).trim_end_matches('/')
}

/// A single-quoted YAML scalar: every character literal, `'` doubled. Policy documents stay
/// JSON text "kept as written" (docs/world-file.md), so the emulator cites their columns.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A mapping key: plain when IAM's name characters allow it (as people write them), quoted
/// otherwise.
fn key(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
        && !s.starts_with(['-', '@']);
    if plain { s.to_string() } else { quote(s) }
}

/// The lines of a new role, relative to its item (the first follows the `- `).
fn role_lines(plan: &RolePlan) -> Vec<String> {
    let mut lines = vec![
        format!("name: {}", quote(&plan.role_name)),
        format!("description: {}", quote(&plan.description)),
        format!("trustPolicy: {}", quote(&plan.trust_policy)),
        "inlinePolicies:".to_string(),
        format!("  {}: {}", key(&plan.role_name), quote(&plan.permissions_policy)),
    ];
    if let Some(b) = &plan.permissions_boundary {
        lines.push(format!("permissionsBoundary: {}", quote(b)));
    }
    lines.push("tags:".to_string());
    for (k, v) in super::tags(&plan.name) {
        lines.push(format!("  {}: {}", quote(&k), quote(&v)));
    }
    lines
}

// ---------------------------------------------------------------------------
// Line surgery
// ---------------------------------------------------------------------------

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// 0-based line index and column of a key.
fn key_at(entry: &Entry) -> (usize, usize) {
    (
        (entry.key_pos.line as usize).saturating_sub(1),
        (entry.key_pos.column as usize).saturating_sub(1),
    )
}

/// The last line of the block that starts at `start` and continues while lines are indented
/// at least `min` (blank and comment lines pass; trailing ones are not counted).
fn block_end(lines: &[&str], start: usize, min: usize) -> usize {
    let mut end = start;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        if !is_content(line) {
            continue;
        }
        if indent_of(line) < min {
            break;
        }
        end = i;
    }
    end
}

/// The last line of a key's value: deeper lines, or `- ` items at the key's own column
/// (YAML's compact sequence style).
fn entry_end(lines: &[&str], key_line: usize, key_col: usize) -> usize {
    let mut end = key_line;
    for (i, line) in lines.iter().enumerate().skip(key_line + 1) {
        if !is_content(line) {
            continue;
        }
        let ind = indent_of(line);
        if ind > key_col || (ind == key_col && line.trim_start().starts_with('-')) {
            end = i;
        } else {
            break;
        }
    }
    end
}

/// The account's item in the positioned tree: its entries, and the column of its keys.
fn account_node<'a>(doc: &'a Node, account: &str) -> Option<&'a Node> {
    doc.get("accounts")?
        .items()
        .iter()
        .find(|a| a.get("id").and_then(Node::str) == Some(account))
}

fn first_key_col(node: &Node) -> Option<(usize, usize)> {
    node.entries().first().map(key_at)
}

fn parse_doc(text: &str) -> Result<Node, Error> {
    let parsed = yaml::parse(text);
    parsed
        .docs
        .into_iter()
        .next()
        .ok_or_else(|| Error::new("the world file is empty"))
}

fn join(lines: &[String], trailing_newline: bool) -> String {
    let mut out = lines.join("\n");
    if trailing_newline {
        out.push('\n');
    }
    out
}

/// The rest of a key's line after `key:`, without a comment.
fn inline_value(line: &str, col: usize) -> &str {
    let rest = line.get(col..).unwrap_or_default();
    let after = rest.split_once(':').map(|(_, r)| r).unwrap_or_default();
    let after = match after.find(" #") {
        Some(i) => &after[..i],
        None => after,
    };
    after.trim()
}

/// Appends an item (given as lines relative to it) to the list `key` of `account`, creating
/// the key when the account has none.
fn append_item(text: &str, account: &str, key: &str, item: &[String]) -> Result<String, Error> {
    let doc = parse_doc(text)?;
    let acct = account_node(&doc, account).ok_or_else(|| Error::new(format!("the world has no account {account}")))?;
    let (acct_line, acct_col) = first_key_col(acct).ok_or_else(|| Error::new(format!("account {account} is empty")))?;
    let lines: Vec<&str> = text.split('\n').collect();
    let trailing = text.ends_with('\n');
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    if out.last().is_some_and(String::is_empty) && trailing {
        out.pop();
    }
    let render = |dash: usize| -> Vec<String> {
        item.iter()
            .enumerate()
            .map(|(i, l)| {
                let pad = " ".repeat(dash);
                if i == 0 {
                    format!("{pad}- {l}")
                } else {
                    format!("{pad}  {l}")
                }
            })
            .collect()
    };
    match acct.entry(key) {
        Some(entry) => {
            let (key_line, key_col) = key_at(entry);
            let line = lines.get(key_line).copied().unwrap_or_default();
            let inline = inline_value(line, key_col);
            if !inline.is_empty() {
                if inline != "[]" {
                    return Err(Error::new(format!(
                        "`{key}` of account {account} is written on one line ({inline}); write it as a block list to let rolechain add to it"
                    )));
                }
                out[key_line] = format!("{}{key}:", " ".repeat(key_col));
                let new = render(key_col + 2);
                out.splice(key_line + 1..key_line + 1, new);
                return Ok(join(&out, trailing));
            }
            // The existing items fix the indentation of the new one.
            let dash = match entry.value.items().first().and_then(first_key_col) {
                Some((_, item_key_col)) => item_key_col.saturating_sub(2),
                None => key_col + 2,
            };
            let end = entry_end(&lines, key_line, key_col);
            out.splice(end + 1..end + 1, render(dash));
            Ok(join(&out, trailing))
        }
        None => {
            let end = block_end(&lines, acct_line, acct_col);
            let mut new = vec![format!("{}{key}:", " ".repeat(acct_col))];
            new.extend(render(acct_col + 2));
            out.splice(end + 1..end + 1, new);
            Ok(join(&out, trailing))
        }
    }
}

/// Sets (adds or replaces) the inline policy `policy_name` of the role at `role_index`.
fn set_inline_policy(
    text: &str,
    account: &str,
    role_index: usize,
    role_name: &str,
    policy_name: &str,
    document: &str,
) -> Result<String, Error> {
    let doc = parse_doc(text)?;
    let role = account_node(&doc, account)
        .and_then(|a| a.get("roles"))
        .and_then(|r| r.items().get(role_index))
        .ok_or_else(|| Error::new(format!("cannot find role {role_name} in the world file's text")))?;
    let (role_line, role_col) = first_key_col(role).ok_or_else(|| Error::new(format!("role {role_name} is empty")))?;
    let lines: Vec<&str> = text.split('\n').collect();
    let trailing = text.ends_with('\n');
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    if out.last().is_some_and(String::is_empty) && trailing {
        out.pop();
    }
    let entry_line = |col: usize| format!("{}{}: {}", " ".repeat(col), key(policy_name), quote(document));
    match role.entry("inlinePolicies") {
        Some(policies) => {
            let (key_line, key_col) = key_at(policies);
            let inline = inline_value(lines.get(key_line).copied().unwrap_or_default(), key_col);
            if !inline.is_empty() {
                if inline != "{}" {
                    return Err(Error::new(format!(
                        "the inlinePolicies of role {role_name} are written on one line; write them as a block mapping to let rolechain change them"
                    )));
                }
                out[key_line] = format!("{}inlinePolicies:", " ".repeat(key_col));
                out.insert(key_line + 1, entry_line(key_col + 2));
                return Ok(join(&out, trailing));
            }
            let col = policies.value.entries().first().map_or(key_col + 2, |e| key_at(e).1);
            let unquoted = |k: &str| k.trim_matches(|c| c == '\'' || c == '"').to_string();
            match policies
                .value
                .entries()
                .iter()
                .find(|e| unquoted(&e.key) == policy_name)
            {
                Some(existing) => {
                    let (line, c) = key_at(existing);
                    let end = entry_end(&lines, line, c);
                    out.splice(line..=end, [entry_line(c)]);
                }
                None => {
                    let end = entry_end(&lines, key_line, key_col);
                    out.insert(end + 1, entry_line(col));
                }
            }
            Ok(join(&out, trailing))
        }
        None => {
            let end = block_end(&lines, role_line, role_col);
            out.splice(
                end + 1..end + 1,
                [
                    format!("{}inlinePolicies:", " ".repeat(role_col)),
                    entry_line(role_col + 2),
                ],
            );
            Ok(join(&out, trailing))
        }
    }
}
