//! `rolechain ccoctl aws create-iam-roles` and `create-identity-provider`:
//! ccoctl's two AWS steps, offline (docs/ccoctl.md). The logic is in
//! `rolechain::ccoctl`; this file reads flags, picks the target (a running
//! emulator over the wire, or a world file) and prints what was done, one
//! line per thing, in ccoctl's words.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aws_config::BehaviorVersion;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_types::region::Region;
use clap::{Args, Subcommand};
use rolechain::ccoctl::files::{self, DRY_RUN_MODE, SECRET_MODE};
use rolechain::ccoctl::issuer_docs;
use rolechain::ccoctl::world_edit::WorldText;
use rolechain::ccoctl::{self, Error, RolePlan};

/// The seed world's admin key of account A, named when no credentials are configured.
const SEED_ADMIN_HINT: &str =
    "AWS_ACCESS_KEY_ID=AKIAROLECHAINADMINAA AWS_SECRET_ACCESS_KEY=rolechain/admin/111111111111/not-a-real-secret";

#[derive(Debug, Args)]
pub struct CcoctlArgs {
    #[command(subcommand)]
    cloud: Cloud,
}

#[derive(Debug, Subcommand)]
enum Cloud {
    /// ccoctl's AWS commands: IAM roles for CredentialsRequests, the OIDC identity provider.
    #[command(subcommand)]
    Aws(AwsCommand),
}

#[derive(Debug, Subcommand)]
enum AwsCommand {
    /// Create IAM roles (and their Secrets) for a directory of CredentialsRequests.
    CreateIamRoles(CreateIamRolesArgs),
    /// Register the IAM OIDC identity provider of the emulator's built-in issuer.
    CreateIdentityProvider(CreateIdentityProviderArgs),
}

/// Where the IAM changes go: a running emulator, or a world file.
#[derive(Debug, Args)]
struct Target {
    /// The running emulator's endpoint (as `rolechain serve` printed it).
    #[arg(long, env = "ROLECHAIN_ENDPOINT", default_value = "http://127.0.0.1:4590")]
    endpoint: String,
    /// Write into this world file (docs/world-file.md) instead of calling a running emulator.
    #[arg(long, value_name = "FILE")]
    world: Option<PathBuf>,
    /// The profile of the shared AWS config and credentials files to sign with.
    #[arg(long)]
    profile: Option<String>,
}

#[derive(Debug, Args)]
struct CreateIamRolesArgs {
    /// User-defined name for all created AWS resources (the role-name prefix and tag).
    #[arg(long)]
    name: String,
    /// Directory of CredentialsRequest files (*.yaml, *.yml).
    #[arg(long, value_name = "DIR")]
    credentials_requests_dir: PathBuf,
    /// ARN of the IAM OIDC identity provider the roles trust.
    #[arg(long, value_name = "ARN")]
    identity_provider_arn: String,
    /// ARN of a managed policy to set as the roles' permissions boundary.
    #[arg(long, value_name = "ARN")]
    permissions_boundary_arn: Option<String>,
    /// AWS region (ccoctl: only required for GovCloud); default AWS_REGION, else us-east-1.
    #[arg(long)]
    region: Option<String>,
    /// Make nothing: save CreateRole and PutRolePolicy inputs and the Secrets as files.
    #[arg(long)]
    dry_run: bool,
    /// Directory to place generated files.
    #[arg(long, value_name = "DIR", default_value = ".")]
    output_dir: PathBuf,
    /// Also process CredentialsRequests marked TechPreviewNoUpgrade.
    #[arg(long)]
    enable_tech_preview: bool,
    #[command(flatten)]
    target: Target,
}

#[derive(Debug, Args)]
struct CreateIdentityProviderArgs {
    /// User-defined name for all created AWS resources (the provider's tag).
    #[arg(long)]
    name: String,
    /// AWS region (kept for ccoctl's command line; no S3 bucket is made).
    #[arg(long)]
    region: Option<String>,
    /// Directory to place generated files.
    #[arg(long, value_name = "DIR", default_value = ".")]
    output_dir: PathBuf,
    /// The built-in issuer, when the emulator or world has several.
    #[arg(long)]
    issuer: Option<String>,
    /// With --world: the account to register the provider in (default: the first).
    #[arg(long)]
    account: Option<String>,
    /// Make nothing in IAM: save the provider's input and the issuer's documents as files.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    target: Target,
}

pub fn run(args: CcoctlArgs) -> Result<ExitCode, String> {
    let Cloud::Aws(command) = args.cloud;
    let result = match command {
        AwsCommand::CreateIamRoles(a) => create_iam_roles(&a),
        AwsCommand::CreateIdentityProvider(a) => create_identity_provider(&a),
    };
    // Bad input and refused IAM calls are failures of the command, not usage errors: exit 1.
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("rolechain ccoctl: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn say(line: String) {
    println!("{line}");
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(e.to_string()))
}

fn region(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// An IAM client of the emulator with the standard credentials (environment, then the shared
/// files' profile), or a message naming the seed's admin key when there are none.
async fn iam_client(target: &Target, region: String) -> Result<aws_sdk_iam::Client, Error> {
    let mut profile = ProfileFileCredentialsProvider::builder();
    if let Some(p) = &target.profile {
        profile = profile.profile_name(p);
    }
    let chain = CredentialsProviderChain::first_try("Environment", EnvironmentVariableCredentialsProvider::new())
        .or_else("Profile", profile.build());
    if chain.provide_credentials().await.is_err() {
        return Err(Error::new(format!(
            "no AWS credentials to sign IAM calls with: none in the environment, none in the shared files' {} profile. \
             For the seed world, use account A's admin key: {SEED_ADMIN_HINT}",
            target.profile.as_deref().unwrap_or("default")
        )));
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(&target.endpoint)
        .credentials_provider(chain);
    if let Some(p) = &target.profile {
        loader = loader.profile_name(p);
    }
    Ok(aws_sdk_iam::Client::new(&loader.load().await))
}

// ---------------------------------------------------------------------------
// create-iam-roles
// ---------------------------------------------------------------------------

fn create_iam_roles(args: &CreateIamRolesArgs) -> Result<(), Error> {
    // Everything is read and checked before anything is made or written.
    let found = ccoctl::discover(&args.credentials_requests_dir, args.enable_tech_preview)?;
    for line in &found.skipped {
        say(line.clone());
    }
    let boundary = args.permissions_boundary_arn.as_deref();
    let plan = |issuer: &str| {
        ccoctl::plan(
            &found.requests,
            &args.name,
            &args.identity_provider_arn,
            issuer,
            boundary,
        )
    };
    if args.dry_run {
        let plans = plan(ccoctl::DRY_RUN_ISSUER)?;
        files::ensure_output_dirs(&args.output_dir)?;
        return dry_run_roles(&plans, &args.output_dir);
    }
    if let Some(world) = &args.target.world {
        return roles_into_world(args, world, &found.requests);
    }
    let runtime = runtime()?;
    runtime.block_on(async {
        let client = iam_client(&args.target, region(args.region.as_deref())).await?;
        let issuer = ccoctl::iam::issuer_url(&client, &args.identity_provider_arn).await?;
        let plans = plan(&issuer)?;
        files::ensure_output_dirs(&args.output_dir)?;
        ccoctl::iam::apply_roles(&client, &plans, &args.output_dir, &mut say).await?;
        Ok(())
    })
}

fn dry_run_roles(plans: &[RolePlan], output_dir: &Path) -> Result<(), Error> {
    for p in plans {
        let (name, text) = p.dry_run_role_file();
        let path = files::write(output_dir, &name, &text, DRY_RUN_MODE)?;
        say(format!("Saving {} locally at {}", p.description, path.display()));
        let (name, text) = p.dry_run_policy_file();
        let path = files::write(output_dir, &name, &text, DRY_RUN_MODE)?;
        say(format!(
            "Saving policy for {} locally at {}",
            p.description,
            path.display()
        ));
        let path = files::write(output_dir, &p.secret_file(), &p.secret(None), SECRET_MODE)?;
        say(format!("Saved credentials configuration to: {}", path.display()));
    }
    Ok(())
}

fn read_world(file: &Path) -> Result<WorldText, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::new(format!("cannot read {}: {e}", file.display())))?;
    WorldText::parse(text, file)
}

/// Writes the world back with the mode it had.
fn write_world(file: &Path, world: &WorldText) -> Result<(), Error> {
    world.check_loads(file)?;
    #[cfg(unix)]
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(file)
            .map_err(|e| Error::new(format!("cannot read {}: {e}", file.display())))?
            .permissions(),
    ) & 0o7777;
    #[cfg(not(unix))]
    let mode = 0o644;
    files::write_path(file, &world.text, mode)
}

fn roles_into_world(
    args: &CreateIamRolesArgs,
    file: &Path,
    requests: &[ccoctl::CredentialsRequest],
) -> Result<(), Error> {
    let mut world = read_world(file)?;
    let issuer = world.issuer_url(&args.identity_provider_arn)?;
    let plans = ccoctl::plan(
        requests,
        &args.name,
        &args.identity_provider_arn,
        &issuer,
        args.permissions_boundary_arn.as_deref(),
    )?;
    let (account, _) = ccoctl::split_provider_arn(&args.identity_provider_arn)
        .ok_or_else(|| Error::new(format!("{} is not an OIDC provider ARN", args.identity_provider_arn)))?;
    let mut made = Vec::new();
    for p in &plans {
        let (arn, created) = world
            .apply_role(account, p)
            .map_err(|e| e.wrap("Failed while processing each CredentialsRequest"))?;
        made.push((arn, created));
    }
    // The world first: a Secret must never name a role that is not there.
    write_world(file, &world)?;
    files::ensure_output_dirs(&args.output_dir)?;
    for (p, (arn, created)) in plans.iter().zip(&made) {
        say(if *created {
            format!("Role {arn} created")
        } else {
            format!("Existing role {arn} found")
        });
        let path = files::write(&args.output_dir, &p.secret_file(), &p.secret(Some(arn)), SECRET_MODE)?;
        say(format!("Saved credentials configuration to: {}", path.display()));
        say(format!("Updated Role policy for Role {}", p.role_name));
    }
    say(format!("Wrote {} role(s) into {}", plans.len(), file.display()));
    Ok(())
}

// ---------------------------------------------------------------------------
// create-identity-provider
// ---------------------------------------------------------------------------

/// The built-in issuer to register: its URL and `keys.json` (when known).
struct IssuerFacts {
    url: String,
    keys_json: Option<String>,
    thumbprint: String,
}

fn pick<'a>(names: &[&'a str], wanted: Option<&str>) -> Result<&'a str, Error> {
    match wanted {
        Some(w) => names.iter().find(|n| **n == w).copied().ok_or_else(|| {
            Error::new(format!(
                "no built-in issuer is named {w:?} (there are: {})",
                names.join(", ")
            ))
        }),
        None if names.len() == 1 => Ok(names[0]),
        None => Err(Error::new(format!(
            "there are {} built-in issuers; choose one with --issuer ({})",
            names.len(),
            names.join(", ")
        ))),
    }
}

fn issuer_from_emulator(endpoint: &str, wanted: Option<&str>) -> Result<IssuerFacts, Error> {
    let status = super::admin::call(endpoint, "GET", "/_rolechain/status", None).map_err(Error::new)?;
    let issuers = super::admin::call(endpoint, "GET", "/_rolechain/issuers", None).map_err(Error::new)?;
    let list = issuers["issuers"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = list.iter().filter_map(|i| i["name"].as_str()).collect();
    let name = pick(&names, wanted)?;
    let issuer = list
        .iter()
        .find(|i| i["name"] == name)
        .ok_or_else(|| Error::new("the emulator's issuer list changed while reading it"))?;
    Ok(IssuerFacts {
        url: issuer["url"].as_str().unwrap_or_default().to_string(),
        keys_json: Some(issuer_docs::keys_json(&issuer["jwks"])?),
        thumbprint: status["thumbprint"].as_str().unwrap_or_default().to_string(),
    })
}

fn issuer_from_world(file: &Path, world: &WorldText, wanted: Option<&str>) -> Result<IssuerFacts, Error> {
    let names: Vec<&str> = world.world.issuers.iter().map(|i| i.name.as_str()).collect();
    let name = pick(&names, wanted)?;
    let spec = world
        .world
        .issuers
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| Error::new("issuer vanished"))?;
    // Without a signing key file the issuer makes a fresh key at every start: no keys.json
    // written now would stay true.
    let keys_json = match &spec.signing_key_file {
        Some(key) => {
            let path = file.parent().unwrap_or(Path::new(".")).join(key);
            let pem = std::fs::read_to_string(&path)
                .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
            let issuer = rolechain::issuer::Issuer::from_private_key_pem(&spec.url, &pem)
                .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
            Some(issuer.jwks_json_pretty())
        }
        None => None,
    };
    Ok(IssuerFacts {
        url: spec.url.clone(),
        keys_json,
        thumbprint: String::new(),
    })
}

fn create_identity_provider(args: &CreateIdentityProviderArgs) -> Result<(), Error> {
    let world = match &args.target.world {
        Some(file) => Some((file, read_world(file)?)),
        None => None,
    };
    let facts = match &world {
        Some((file, w)) => issuer_from_world(file, w, args.issuer.as_deref())?,
        None => issuer_from_emulator(&args.target.endpoint, args.issuer.as_deref())?,
    };
    let out = &args.output_dir;
    if args.dry_run {
        files::ensure_output_dirs(out)?;
        write_issuer_documents(
            out,
            &facts,
            "Saving discovery document locally at",
            "Saving JSON web key set (JWKS) locally at",
        )?;
        let path = files::write(
            out,
            issuer_docs::PROVIDER_FILE,
            &issuer_docs::provider_dry_run(&facts.url),
            DRY_RUN_MODE,
        )?;
        say(format!(
            "Saving AWS IAM Identity Provider locally at {}",
            path.display()
        ));
        return write_authentication(out, &facts.url);
    }
    match world {
        Some((file, mut w)) => {
            let account = match &args.account {
                Some(a) => a.clone(),
                None => w.world.accounts.first().map(|a| a.id.clone()).ok_or_else(|| {
                    Error::new(format!("{} has no account to register the provider in", file.display()))
                })?,
            };
            let (arn, added) = w.ensure_provider(&account, &facts.url)?;
            if added {
                write_world(file, &w)?;
                say(format!("Identity Provider created with ARN: {arn}"));
            } else {
                say(format!("Existing Identity Provider found with ARN: {arn}"));
            }
        }
        None => {
            let runtime = runtime()?;
            runtime.block_on(async {
                let client = iam_client(&args.target, region(args.region.as_deref())).await?;
                ccoctl::iam::ensure_provider(&client, &args.name, &facts.url, &facts.thumbprint, &mut say).await
            })?;
        }
    }
    files::ensure_output_dirs(out)?;
    write_issuer_documents(
        out,
        &facts,
        "Saved the discovery document the issuer serves (no S3 bucket is emulated) at",
        "Saved the JSON web key set (JWKS) the issuer serves at",
    )?;
    write_authentication(out, &facts.url)
}

fn write_issuer_documents(out: &Path, facts: &IssuerFacts, discovery_said: &str, keys_said: &str) -> Result<(), Error> {
    let path = files::write(
        out,
        issuer_docs::DISCOVERY_FILE,
        &issuer_docs::discovery(&facts.url),
        DRY_RUN_MODE,
    )?;
    say(format!("{discovery_said} {}", path.display()));
    match &facts.keys_json {
        Some(keys) => {
            let path = files::write(out, issuer_docs::KEYS_FILE, keys, DRY_RUN_MODE)?;
            say(format!("{keys_said} {}", path.display()));
        }
        None => say(format!(
            "Not saving {}: the world's issuer has no signingKeyFile, so its key is made afresh at every start",
            issuer_docs::KEYS_FILE
        )),
    }
    Ok(())
}

fn write_authentication(out: &Path, issuer_url: &str) -> Result<(), Error> {
    let relative = format!("{}/{}", ccoctl::MANIFESTS_DIR, issuer_docs::AUTHENTICATION_FILE);
    let path = files::write(
        out,
        &relative,
        &issuer_docs::authentication_manifest(issuer_url),
        SECRET_MODE,
    )?;
    say(format!(
        "Saved the cluster's Authentication manifest to: {}",
        path.display()
    ));
    Ok(())
}
