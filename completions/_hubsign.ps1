
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'hubsign' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'hubsign'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'hubsign' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Sign a model directory or single-file model')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify a model against its signature')
            [CompletionResult]::new('attest', 'attest', [CompletionResultType]::ParameterValue, 'Append a signed claim about a model to claims.jsonl beside its signature')
            [CompletionResult]::new('digest', 'digest', [CompletionResultType]::ParameterValue, 'Print the model''s OMS subject digest (sha256:<hex>) without signing')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Download a signed model from the Hugging Face Hub into the HF cache, verified before anything is cached. Prints the snapshot path on stdout')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Sign the model if needed and publish it with its signature as one commit (prints the commit URL)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a model''s record: who signed it and when, its files, its claims (licence, evaluations, lineage), each marked trusted or not. Trust flags are optional here')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Steps 1-3 of pull only: verify the signature and compare it with the hub''s file listing, without downloading any weights')
            [CompletionResult]::new('verify-cache', 'verify-cache', [CompletionResultType]::ParameterValue, 'Re-verify a cached snapshot offline (the signature inside it, then every file)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Pull every model and dataset in the lock file at its locked commit, requiring the locked digest, signature and signer (with HF_HUB_OFFLINE=1: check the caches against the lock)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'List every snapshot in the Hugging Face and kagglehub caches: who signed it, whether its files still match the signature (re-hashed), and whether the policy trusts that signer. Never modifies a cache')
            [CompletionResult]::new('staging', 'staging', [CompletionResultType]::ParameterValue, 'List the partial downloads interrupted pulls keep to resume (size, repository, commit, age), and with --clean remove those no running pull holds')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a verifying Hugging Face mirror: point HF_ENDPOINT at it and clients get only repositories that verify under the trust policy (others are answered 403 with the reason)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make a signing key: a new P-256 private key in OUT (PKCS#8 PEM, mode 0600, encrypted on request) and its public key in OUT.pub. Never replaces an existing file')
            [CompletionResult]::new('install-hf-extension', 'install-hf-extension', [CompletionResultType]::ParameterValue, 'Register hubsign as an extension of the `hf` CLI (huggingface_hub 2.x), so `hf hubsign …` runs this executable: writes ~/.local/share/hf/extensions/hf-hubsign/manifest.json as `hf extensions install` would (`hf extensions remove hubsign` undoes it)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hubsign;sign' {
            [CompletionResult]::new('--ignore-paths', '--ignore-paths', [CompletionResultType]::ParameterName, 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable')
            [CompletionResult]::new('--hash', '--hash', [CompletionResultType]::ParameterName, 'Per-file hash function')
            [CompletionResult]::new('--shard-size', '--shard-size', [CompletionResultType]::ParameterName, 'Hash files in shards of N bytes (serialization `shards`) instead of whole files')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'Where to write the signature. Default: model.sig inside the model directory (for a single-file model: model.sig beside the file; for an oci:// artifact: attached in the registry only, and also written here when given)')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8')
            [CompletionResult]::new('--pkcs11-uri', '--pkcs11-uri', [CompletionResultType]::ParameterName, 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token')
            [CompletionResult]::new('--pkcs11-module', '--pkcs11-module', [CompletionResultType]::ParameterName, 'The PKCS#11 module (shared library) when the URI names none')
            [CompletionResult]::new('--pin-file', '--pin-file', [CompletionResultType]::ParameterName, 'Read the token PIN from this file (one trailing newline is removed)')
            [CompletionResult]::new('--pin-env', '--pin-env', [CompletionResultType]::ParameterName, 'Read the token PIN from this environment variable')
            [CompletionResult]::new('--signing-certificate', '--signing-certificate', [CompletionResultType]::ParameterName, 'Certificate for the private key (certificate method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the private key''s password from this file (one trailing newline is removed)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the private key''s password from this environment variable')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--identity-token', '--identity-token', [CompletionResultType]::ParameterName, 'Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN; without either, ambient CI credentials (GitHub Actions, ...) are used')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--changed', '--changed', [CompletionResultType]::ParameterName, 'Hash this file or folder (relative to the model, or absolute inside it) whatever the hash record says. Repeatable')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'The public key the existing signature must verify with. Default: the signing key''s public key (for a certificate: the certificates given with --certificate-chain)')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Sigstore keyless: the identity the existing signature''s certificate must name (exact match); needed with keyless signing')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer of that identity')
            [CompletionResult]::new('--no-ignore-git-paths', '--no-ignore-git-paths', [CompletionResultType]::ParameterName, 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)')
            [CompletionResult]::new('--ignore-git-paths', '--ignore-git-paths', [CompletionResultType]::ParameterName, 'Ignore the top-level git paths (the default)')
            [CompletionResult]::new('--allow-symlinks', '--allow-symlinks', [CompletionResultType]::ParameterName, 'Hash the target of file symlinks inside the model (links leaving the model are errors)')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--incremental', '--incremental', [CompletionResultType]::ParameterName, 'Re-sign reusing the digests of unchanged files: the existing signature (the file --signature names, default model.sig) is verified first, and only new files, files named with --changed and files whose device, inode, size, mtime or ctime differ from the local hash record are hashed. Not for oci:// artifacts')
            [CompletionResult]::new('--rehash-all', '--rehash-all', [CompletionResultType]::ParameterName, 'Ignore the local hash record and hash every file (the existing signature is still verified)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hubsign;verify' {
            [CompletionResult]::new('--ignore-paths', '--ignore-paths', [CompletionResultType]::ParameterName, 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The signature to verify. Default: model.sig inside the model directory (for a single-file model: model.sig beside the file; for an oci:// artifact: the signature attached to it in the registry)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Verification method; inferred from --public-key / --certificate-chain when omitted')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'Trusted EC public key (key method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Trust anchors (certificate method): every certificate in these files is trusted. Repeatable')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--identity-provider', '--identity-provider', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--claims-public-key', '--claims-public-key', [CompletionResultType]::ParameterName, 'Also trust claims signed with this EC public key (an evaluator''s, say). Repeatable')
            [CompletionResult]::new('--no-ignore-git-paths', '--no-ignore-git-paths', [CompletionResultType]::ParameterName, 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)')
            [CompletionResult]::new('--ignore-git-paths', '--ignore-git-paths', [CompletionResultType]::ParameterName, 'Ignore the top-level git paths (the default)')
            [CompletionResult]::new('--allow-symlinks', '--allow-symlinks', [CompletionResultType]::ParameterName, 'Hash the target of file symlinks inside the model (links leaving the model are errors)')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--ignore-unsigned-files', '--ignore-unsigned-files', [CompletionResultType]::ParameterName, 'Do not fail on files the signature does not cover (they are not read)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;attest' {
            [CompletionResult]::new('--model-card', '--model-card', [CompletionResultType]::ParameterName, 'Claim the model card''s YAML front matter: README.md in the model directory, or the card given')
            [CompletionResult]::new('--eval-result', '--eval-result', [CompletionResultType]::ParameterName, 'Claim an evaluation result: a JSON file holding an in-toto eval-result predicate')
            [CompletionResult]::new('--derived-from', '--derived-from', [CompletionResultType]::ParameterName, 'Claim lineage: the base model, as sha256:<its root digest> (recorded as given), a local model directory or a repository (its signature verified with the --base-* flags; a repository''s on its hub, no weight downloaded)')
            [CompletionResult]::new('--base-name', '--base-name', [CompletionResultType]::ParameterName, 'The base model''s name recorded in the lineage claim (a hint; default: the directory''s name, or \"_\" for a digest)')
            [CompletionResult]::new('--base-public-key', '--base-public-key', [CompletionResultType]::ParameterName, 'The base model''s trusted EC public key (key method)')
            [CompletionResult]::new('--base-certificate-chain', '--base-certificate-chain', [CompletionResultType]::ParameterName, 'The base model''s trust anchors (certificate method). Repeatable')
            [CompletionResult]::new('--base-identity', '--base-identity', [CompletionResultType]::ParameterName, 'The base model''s Sigstore identity (keyless)')
            [CompletionResult]::new('--base-issuer', '--base-issuer', [CompletionResultType]::ParameterName, 'The OIDC issuer of --base-identity')
            [CompletionResult]::new('--base-trust-config', '--base-trust-config', [CompletionResultType]::ParameterName, 'The Sigstore trusted root (or ClientTrustConfig) for --base-identity (default: production)')
            [CompletionResult]::new('--predicate-type', '--predicate-type', [CompletionResultType]::ParameterName, 'Claim any predicate: its type URI (with --predicate)')
            [CompletionResult]::new('--predicate', '--predicate', [CompletionResultType]::ParameterName, 'The predicate of --predicate-type: a file holding a JSON object')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The model''s signature (its serialization is used, and the model must match it); claims.jsonl goes beside it. Default: model.sig in the model directory')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8')
            [CompletionResult]::new('--pkcs11-uri', '--pkcs11-uri', [CompletionResultType]::ParameterName, 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token')
            [CompletionResult]::new('--pkcs11-module', '--pkcs11-module', [CompletionResultType]::ParameterName, 'The PKCS#11 module (shared library) when the URI names none')
            [CompletionResult]::new('--pin-file', '--pin-file', [CompletionResultType]::ParameterName, 'Read the token PIN from this file (one trailing newline is removed)')
            [CompletionResult]::new('--pin-env', '--pin-env', [CompletionResultType]::ParameterName, 'Read the token PIN from this environment variable')
            [CompletionResult]::new('--signing-certificate', '--signing-certificate', [CompletionResultType]::ParameterName, 'Certificate for the private key (certificate method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the private key''s password from this file (one trailing newline is removed)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the private key''s password from this environment variable')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)')
            [CompletionResult]::new('--identity-token', '--identity-token', [CompletionResultType]::ParameterName, 'Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN; without either, ambient CI credentials (GitHub Actions, ...) are used')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hubsign;digest' {
            [CompletionResult]::new('--ignore-paths', '--ignore-paths', [CompletionResultType]::ParameterName, 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The signature file, excluded from the digest when it lies inside the model, as `sign` excludes it. Default: model.sig inside the model directory')
            [CompletionResult]::new('--hash', '--hash', [CompletionResultType]::ParameterName, 'Per-file hash function')
            [CompletionResult]::new('--shard-size', '--shard-size', [CompletionResultType]::ParameterName, 'Hash files in shards of N bytes (serialization `shards`) instead of whole files')
            [CompletionResult]::new('--no-ignore-git-paths', '--no-ignore-git-paths', [CompletionResultType]::ParameterName, 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)')
            [CompletionResult]::new('--ignore-git-paths', '--ignore-git-paths', [CompletionResultType]::ParameterName, 'Ignore the top-level git paths (the default)')
            [CompletionResult]::new('--allow-symlinks', '--allow-symlinks', [CompletionResultType]::ParameterName, 'Hash the target of file symlinks inside the model (links leaving the model are errors)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;pull' {
            [CompletionResult]::new('--repo-type', '--repo-type', [CompletionResultType]::ParameterName, 'The repository type (default: model, or dataset for datasets/ORG/NAME)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)')
            [CompletionResult]::new('--signature-path', '--signature-path', [CompletionResultType]::ParameterName, 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)')
            [CompletionResult]::new('--kaggle-endpoint', '--kaggle-endpoint', [CompletionResultType]::ParameterName, 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Download only files matching PATTERN (fnmatch, as `hf download`: `*` crosses `/`; `dir/` means everything below). Repeatable. The signature still covers the whole listing')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Do not download files matching PATTERN. Repeatable')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'Trusted EC public key (key method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Trust anchors (certificate method). Repeatable')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--identity-provider', '--identity-provider', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Trust policy file mapping repository patterns to required signers')
            [CompletionResult]::new('--local-dir', '--local-dir', [CompletionResultType]::ParameterName, 'Place a verified copy in DIR instead of the HF cache')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Parallel file transfers')
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'Record the verified pull in a lock file (--lock=FILE; default ./hubsign.lock): ref, commit, digest, signer, signature hash. A reference already locked moves on only when the same signer signed the new commit. Without --lock an existing ./hubsign.lock is still read, never written: it can refuse a changed signer, never trust more')
            [CompletionResult]::new('--ignore-unsigned-files', '--ignore-unsigned-files', [CompletionResultType]::ParameterName, 'Do not fail on repository files the signature does not cover; they are not downloaded')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --local-dir: move the files in DIR hubsign did not place there (or this pull does not place) aside, into a dated folder beside DIR, never deleting one (by default such a directory is refused, naming them)')
            [CompletionResult]::new('--accept-new-signer', '--accept-new-signer', [CompletionResultType]::ParameterName, 'Accept a signer other than the one the lock names (with --lock, the lock then names the new signer)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;push' {
            [CompletionResult]::new('--repo-type', '--repo-type', [CompletionResultType]::ParameterName, 'The repository type (default: model, or dataset for datasets/ORG/NAME)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch to commit to')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The model''s signature. Default: model.sig inside the model directory (Kaggle: .kaggle/signing.json), uploaded to that same path in the repository')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)')
            [CompletionResult]::new('--private-key', '--private-key', [CompletionResultType]::ParameterName, 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8')
            [CompletionResult]::new('--pkcs11-uri', '--pkcs11-uri', [CompletionResultType]::ParameterName, 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token')
            [CompletionResult]::new('--pkcs11-module', '--pkcs11-module', [CompletionResultType]::ParameterName, 'The PKCS#11 module (shared library) when the URI names none')
            [CompletionResult]::new('--pin-file', '--pin-file', [CompletionResultType]::ParameterName, 'Read the token PIN from this file (one trailing newline is removed)')
            [CompletionResult]::new('--pin-env', '--pin-env', [CompletionResultType]::ParameterName, 'Read the token PIN from this environment variable')
            [CompletionResult]::new('--signing-certificate', '--signing-certificate', [CompletionResultType]::ParameterName, 'Certificate for the private key (certificate method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the private key''s password from this file (one trailing newline is removed)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Read the private key''s password from this environment variable')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'Trusted public key for verifying an existing signature (when not signing now)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Trust policy file (when not signing now and no --public-key)')
            [CompletionResult]::new('--ignore-paths', '--ignore-paths', [CompletionResultType]::ParameterName, 'Exclude a path from the signature and the upload. Repeatable')
            [CompletionResult]::new('--commit-message', '--commit-message', [CompletionResultType]::ParameterName, 'Commit summary')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Parallel LFS uploads')
            [CompletionResult]::new('--kaggle-endpoint', '--kaggle-endpoint', [CompletionResultType]::ParameterName, 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--resign', '--resign', [CompletionResultType]::ParameterName, 'Sign again even if the model already carries a valid signature')
            [CompletionResult]::new('--private', '--private', [CompletionResultType]::ParameterName, 'Create the repository as private')
            [CompletionResult]::new('--create-pr', '--create-pr', [CompletionResultType]::ParameterName, 'Open a pull request instead of committing to the branch')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hubsign;inspect' {
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The signature file of a local model. Default: model.sig inside the model directory')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'Verify the signature with this EC public key (optional: without a signer flag the signer is shown as the signature names it, unverified)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Verify the signature against these trust anchors (certificate method). Repeatable')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--identity-provider', '--identity-provider', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--claims-public-key', '--claims-public-key', [CompletionResultType]::ParameterName, 'Also trust claims signed with this EC public key (an evaluator''s, say). Repeatable')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)')
            [CompletionResult]::new('--kagglehub-cache', '--kagglehub-cache', [CompletionResultType]::ParameterName, 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)')
            [CompletionResult]::new('--oci-cache', '--oci-cache', [CompletionResultType]::ParameterName, 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)')
            [CompletionResult]::new('--kaggle-endpoint', '--kaggle-endpoint', [CompletionResultType]::ParameterName, 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'A connection that delivers no data for this many seconds is dropped')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Ask the hub (or registry) even when a snapshot is cached: its signature and claims are fetched, no weight. A repository not in any cache is always asked for')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;check' {
            [CompletionResult]::new('--repo-type', '--repo-type', [CompletionResultType]::ParameterName, 'The repository type (default: model, or dataset for datasets/ORG/NAME)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)')
            [CompletionResult]::new('--signature-path', '--signature-path', [CompletionResultType]::ParameterName, 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)')
            [CompletionResult]::new('--kaggle-endpoint', '--kaggle-endpoint', [CompletionResultType]::ParameterName, 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'Trusted EC public key (key method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Trust anchors (certificate method). Repeatable')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--identity-provider', '--identity-provider', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Trust policy file mapping repository patterns to required signers')
            [CompletionResult]::new('--ignore-unsigned-files', '--ignore-unsigned-files', [CompletionResultType]::ParameterName, 'Do not fail on repository files the signature does not cover; they are not downloaded')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;verify-cache' {
            [CompletionResult]::new('--repo-type', '--repo-type', [CompletionResultType]::ParameterName, 'The repository type (default: model, or dataset for datasets/ORG/NAME)')
            [CompletionResult]::new('--revision', '--revision', [CompletionResultType]::ParameterName, 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)')
            [CompletionResult]::new('--signature-path', '--signature-path', [CompletionResultType]::ParameterName, 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)')
            [CompletionResult]::new('--kaggle-endpoint', '--kaggle-endpoint', [CompletionResultType]::ParameterName, 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'Trusted EC public key (key method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Trust anchors (certificate method). Repeatable')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--identity-provider', '--identity-provider', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Trust policy file mapping repository patterns to required signers')
            [CompletionResult]::new('--ignore-unsigned-files', '--ignore-unsigned-files', [CompletionResultType]::ParameterName, 'Do not fail on repository files the signature does not cover; they are not downloaded')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;sync' {
            [CompletionResult]::new('--lock', '--lock', [CompletionResultType]::ParameterName, 'The lock file')
            [CompletionResult]::new('--public-key', '--public-key', [CompletionResultType]::ParameterName, 'Trusted EC public key (key method)')
            [CompletionResult]::new('--certificate-chain', '--certificate-chain', [CompletionResultType]::ParameterName, 'Trust anchors (certificate method). Repeatable')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--identity-provider', '--identity-provider', [CompletionResultType]::ParameterName, 'Sigstore keyless: the OIDC issuer that vouched for the identity')
            [CompletionResult]::new('--trust-config', '--trust-config', [CompletionResultType]::ParameterName, 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Trust policy file mapping repository patterns to required signers')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)')
            [CompletionResult]::new('--kagglehub-cache', '--kagglehub-cache', [CompletionResultType]::ParameterName, 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)')
            [CompletionResult]::new('--oci-cache', '--oci-cache', [CompletionResultType]::ParameterName, 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)')
            [CompletionResult]::new('--kaggle-endpoint', '--kaggle-endpoint', [CompletionResultType]::ParameterName, 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)')
            [CompletionResult]::new('--insecure-registry', '--insecure-registry', [CompletionResultType]::ParameterName, 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'A connection that delivers no data for this many seconds is dropped and resumed')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Parallel file transfers')
            [CompletionResult]::new('--staging', '--staging', [CompletionResultType]::ParameterName, 'Sigstore keyless: the public staging instance (embedded root and signing config)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;audit' {
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)')
            [CompletionResult]::new('--kagglehub-cache', '--kagglehub-cache', [CompletionResultType]::ParameterName, 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)')
            [CompletionResult]::new('--oci-cache', '--oci-cache', [CompletionResultType]::ParameterName, 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Trust policy: report whether each snapshot''s signer is the one trusted for its repository (default: HUBSIGN_POLICY, else ~/.config/hubsign/hubsign.toml if present)')
            [CompletionResult]::new('--signer', '--signer', [CompletionResultType]::ParameterName, 'List only what this signer signed: a key or certificate fingerprint (hex SHA-256, as `verify` prints it, or a prefix of at least 8 hex digits), a keyless identity (email or URI), or a certificate subject (CN=…)')
            [CompletionResult]::new('--derived-from', '--derived-from', [CompletionResultType]::ParameterName, 'List only the snapshots whose verified lineage includes this base model: its root digest (sha256:<hex>) or a reference whose cached snapshot''s root digest is used')
            [CompletionResult]::new('--claims-public-key', '--claims-public-key', [CompletionResultType]::ParameterName, 'Also trust claims signed with this EC public key (an evaluator''s, say). Repeatable')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;staging' {
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)')
            [CompletionResult]::new('--kagglehub-cache', '--kagglehub-cache', [CompletionResultType]::ParameterName, 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)')
            [CompletionResult]::new('--oci-cache', '--oci-cache', [CompletionResultType]::ParameterName, 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)')
            [CompletionResult]::new('--local-dir', '--local-dir', [CompletionResultType]::ParameterName, 'Also a directory pulled into with --local-dir (its .cache/hubsign/staging). Repeatable')
            [CompletionResult]::new('--clean', '--clean', [CompletionResultType]::ParameterName, 'Remove every staging folder no running pull holds (its downloads start over)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;serve' {
            [CompletionResult]::new('--upstream', '--upstream', [CompletionResultType]::ParameterName, 'The upstream hub (e.g. https://huggingface.co)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Trust policy file: which signer each repository must be signed by. Repositories no rule covers are refused')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'The mirror''s cache (a Hugging Face cache layout; may be shared by several replicas). Default: HF_HUB_CACHE, else $HF_HOME/hub')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0: any free port, see --port-file)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'The mirror''s own upstream token (one line). The clients'' tokens are never forwarded')
            [CompletionResult]::new('--client-tokens', '--client-tokens', [CompletionResultType]::ParameterName, 'Bearer tokens clients must present, one per line; without it the mirror is open')
            [CompletionResult]::new('--access-log', '--access-log', [CompletionResultType]::ParameterName, 'Append the access log (one JSON object per request) to FILE instead of stderr')
            [CompletionResult]::new('--port-file', '--port-file', [CompletionResultType]::ParameterName, 'Write the port the mirror listens on to FILE once it accepts connections')
            [CompletionResult]::new('--signature-path', '--signature-path', [CompletionResultType]::ParameterName, 'Path of the signature inside each repository')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Parallel file transfers of one verified pull')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'An upstream connection that delivers no data for this many seconds is dropped and the transfer resumed')
            [CompletionResult]::new('--tree-page-size', '--tree-page-size', [CompletionResultType]::ParameterName, 'Entries per page of tree listings')
            [CompletionResult]::new('--header-read-timeout', '--header-read-timeout', [CompletionResultType]::ParameterName, 'A client must send its request head within this many seconds, or is disconnected')
            [CompletionResult]::new('--pull-timeout', '--pull-timeout', [CompletionResultType]::ParameterName, 'A verified pull not finished after this many seconds is abandoned (its clients get a 502; the next request starts again, reusing what verified)')
            [CompletionResult]::new('--ignore-unsigned-files', '--ignore-unsigned-files', [CompletionResultType]::ParameterName, 'Serve repositories holding files the signature does not cover (those files are not listed or served); by default such repositories are refused')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;keygen' {
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Encrypt the private key with the password in this file (one trailing newline is removed, as `sign --password-file` reads it)')
            [CompletionResult]::new('--password-env', '--password-env', [CompletionResultType]::ParameterName, 'Encrypt the private key with the password in this environment variable')
            [CompletionResult]::new('--kdf-rounds', '--kdf-rounds', [CompletionResultType]::ParameterName, 'PBKDF2-HMAC-SHA256 rounds of the key encryption (lower only to make tests fast)')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Encrypt the private key with a password asked on the terminal (twice)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;install-hf-extension' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;completions' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hubsign;help' {
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Sign a model directory or single-file model')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Verify a model against its signature')
            [CompletionResult]::new('attest', 'attest', [CompletionResultType]::ParameterValue, 'Append a signed claim about a model to claims.jsonl beside its signature')
            [CompletionResult]::new('digest', 'digest', [CompletionResultType]::ParameterValue, 'Print the model''s OMS subject digest (sha256:<hex>) without signing')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Download a signed model from the Hugging Face Hub into the HF cache, verified before anything is cached. Prints the snapshot path on stdout')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Sign the model if needed and publish it with its signature as one commit (prints the commit URL)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show a model''s record: who signed it and when, its files, its claims (licence, evaluations, lineage), each marked trusted or not. Trust flags are optional here')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Steps 1-3 of pull only: verify the signature and compare it with the hub''s file listing, without downloading any weights')
            [CompletionResult]::new('verify-cache', 'verify-cache', [CompletionResultType]::ParameterValue, 'Re-verify a cached snapshot offline (the signature inside it, then every file)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Pull every model and dataset in the lock file at its locked commit, requiring the locked digest, signature and signer (with HF_HUB_OFFLINE=1: check the caches against the lock)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'List every snapshot in the Hugging Face and kagglehub caches: who signed it, whether its files still match the signature (re-hashed), and whether the policy trusts that signer. Never modifies a cache')
            [CompletionResult]::new('staging', 'staging', [CompletionResultType]::ParameterValue, 'List the partial downloads interrupted pulls keep to resume (size, repository, commit, age), and with --clean remove those no running pull holds')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a verifying Hugging Face mirror: point HF_ENDPOINT at it and clients get only repositories that verify under the trust policy (others are answered 403 with the reason)')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make a signing key: a new P-256 private key in OUT (PKCS#8 PEM, mode 0600, encrypted on request) and its public key in OUT.pub. Never replaces an existing file')
            [CompletionResult]::new('install-hf-extension', 'install-hf-extension', [CompletionResultType]::ParameterValue, 'Register hubsign as an extension of the `hf` CLI (huggingface_hub 2.x), so `hf hubsign …` runs this executable: writes ~/.local/share/hf/extensions/hf-hubsign/manifest.json as `hf extensions install` would (`hf extensions remove hubsign` undoes it)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hubsign;help;sign' {
            break
        }
        'hubsign;help;verify' {
            break
        }
        'hubsign;help;attest' {
            break
        }
        'hubsign;help;digest' {
            break
        }
        'hubsign;help;pull' {
            break
        }
        'hubsign;help;push' {
            break
        }
        'hubsign;help;inspect' {
            break
        }
        'hubsign;help;check' {
            break
        }
        'hubsign;help;verify-cache' {
            break
        }
        'hubsign;help;sync' {
            break
        }
        'hubsign;help;audit' {
            break
        }
        'hubsign;help;staging' {
            break
        }
        'hubsign;help;serve' {
            break
        }
        'hubsign;help;keygen' {
            break
        }
        'hubsign;help;install-hf-extension' {
            break
        }
        'hubsign;help;completions' {
            break
        }
        'hubsign;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
