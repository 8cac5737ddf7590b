# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_hubsign_global_optspecs
    string join \n json q/quiet h/help V/version
end

function __fish_hubsign_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_hubsign_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_hubsign_using_subcommand
    set -l cmd (__fish_hubsign_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c hubsign -n "__fish_hubsign_needs_command" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_needs_command" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hubsign -n "__fish_hubsign_needs_command" -s V -l version -d 'Print version'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "sign" -d 'Sign a model directory or single-file model'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "verify" -d 'Verify a model against its signature'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "attest" -d 'Append a signed claim about a model to claims.jsonl beside its signature'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "digest" -d 'Print the model\'s OMS subject digest (sha256:<hex>) without signing'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "pull" -d 'Download a signed model from the Hugging Face Hub into the HF cache, verified before anything is cached. Prints the snapshot path on stdout'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "push" -d 'Sign the model if needed and publish it with its signature as one commit (prints the commit URL)'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "inspect" -d 'Show a model\'s record: who signed it and when, its files, its claims (licence, evaluations, lineage), each marked trusted or not. Trust flags are optional here'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "check" -d 'Steps 1-3 of pull only: verify the signature and compare it with the hub\'s file listing, without downloading any weights'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "verify-cache" -d 'Re-verify a cached snapshot offline (the signature inside it, then every file)'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "sync" -d 'Pull every model and dataset in the lock file at its locked commit, requiring the locked digest, signature and signer (with HF_HUB_OFFLINE=1: check the caches against the lock)'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "audit" -d 'List every snapshot in the Hugging Face and kagglehub caches: who signed it, whether its files still match the signature (re-hashed), and whether the policy trusts that signer. Never modifies a cache'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "staging" -d 'List the partial downloads interrupted pulls keep to resume (size, repository, commit, age), and with --clean remove those no running pull holds'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "serve" -d 'Run a verifying Hugging Face mirror: point HF_ENDPOINT at it and clients get only repositories that verify under the trust policy (others are answered 403 with the reason)'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "keygen" -d 'Make a signing key: a new P-256 private key in OUT (PKCS#8 PEM, mode 0600, encrypted on request) and its public key in OUT.pub. Never replaces an existing file'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "install-hf-extension" -d 'Register hubsign as an extension of the `hf` CLI (huggingface_hub 2.x), so `hf hubsign …` runs this executable: writes ~/.local/share/hf/extensions/hf-hubsign/manifest.json as `hf extensions install` would (`hf extensions remove hubsign` undoes it)'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c hubsign -n "__fish_hubsign_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l ignore-paths -d 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l hash -d 'Per-file hash function' -r -f -a "sha256\t''
blake2b\t''
blake3\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l shard-size -d 'Hash files in shards of N bytes (serialization `shards`) instead of whole files' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l signature -d 'Where to write the signature. Default: model.sig inside the model directory (for a single-file model: model.sig beside the file; for an oci:// artifact: attached in the registry only, and also written here when given)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l method -d 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)' -r -f -a "key\t''
certificate\t''
sigstore\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l private-key -d 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l pkcs11-uri -d 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l pkcs11-module -d 'The PKCS#11 module (shared library) when the URI names none' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l pin-file -d 'Read the token PIN from this file (one trailing newline is removed)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l pin-env -d 'Read the token PIN from this environment variable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l signing-certificate -d 'Certificate for the private key (certificate method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l certificate-chain -d 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l password-file -d 'Read the private key\'s password from this file (one trailing newline is removed)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l password-env -d 'Read the private key\'s password from this environment variable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l password -d 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l identity-token -d 'Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN; without either, ambient CI credentials (GitHub Actions, ...) are used' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l changed -d 'Hash this file or folder (relative to the model, or absolute inside it) whatever the hash record says. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l public-key -d 'The public key the existing signature must verify with. Default: the signing key\'s public key (for a certificate: the certificates given with --certificate-chain)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l identity -d 'Sigstore keyless: the identity the existing signature\'s certificate must name (exact match); needed with keyless signing' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l issuer -d 'Sigstore keyless: the OIDC issuer of that identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l no-ignore-git-paths -d 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l ignore-git-paths -d 'Ignore the top-level git paths (the default)'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l allow-symlinks -d 'Hash the target of file symlinks inside the model (links leaving the model are errors)'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l incremental -d 'Re-sign reusing the digests of unchanged files: the existing signature (the file --signature names, default model.sig) is verified first, and only new files, files named with --changed and files whose device, inode, size, mtime or ctime differ from the local hash record are hashed. Not for oci:// artifacts'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l rehash-all -d 'Ignore the local hash record and hash every file (the existing signature is still verified)'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand sign" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l ignore-paths -d 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l signature -d 'The signature to verify. Default: model.sig inside the model directory (for a single-file model: model.sig beside the file; for an oci:// artifact: the signature attached to it in the registry)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l method -d 'Verification method; inferred from --public-key / --certificate-chain when omitted' -r -f -a "key\t''
certificate\t''
sigstore\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l public-key -d 'Trusted EC public key (key method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l certificate-chain -d 'Trust anchors (certificate method): every certificate in these files is trusted. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l identity -d 'Sigstore keyless: the signer\'s identity (certificate SAN: email or URI), exact match' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l issuer -l identity-provider -d 'Sigstore keyless: the OIDC issuer that vouched for the identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l claims-public-key -d 'Also trust claims signed with this EC public key (an evaluator\'s, say). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l no-ignore-git-paths -d 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l ignore-git-paths -d 'Ignore the top-level git paths (the default)'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l allow-symlinks -d 'Hash the target of file symlinks inside the model (links leaving the model are errors)'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l ignore-unsigned-files -d 'Do not fail on files the signature does not cover (they are not read)'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l model-card -d 'Claim the model card\'s YAML front matter: README.md in the model directory, or the card given' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l eval-result -d 'Claim an evaluation result: a JSON file holding an in-toto eval-result predicate' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l derived-from -d 'Claim lineage: the base model, as sha256:<its root digest> (recorded as given), a local model directory or a repository (its signature verified with the --base-* flags; a repository\'s on its hub, no weight downloaded)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l base-name -d 'The base model\'s name recorded in the lineage claim (a hint; default: the directory\'s name, or \\"_\\" for a digest)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l base-public-key -d 'The base model\'s trusted EC public key (key method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l base-certificate-chain -d 'The base model\'s trust anchors (certificate method). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l base-identity -d 'The base model\'s Sigstore identity (keyless)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l base-issuer -d 'The OIDC issuer of --base-identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l base-trust-config -d 'The Sigstore trusted root (or ClientTrustConfig) for --base-identity (default: production)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l predicate-type -d 'Claim any predicate: its type URI (with --predicate)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l predicate -d 'The predicate of --predicate-type: a file holding a JSON object' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l signature -d 'The model\'s signature (its serialization is used, and the model must match it); claims.jsonl goes beside it. Default: model.sig in the model directory' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l method -d 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)' -r -f -a "key\t''
certificate\t''
sigstore\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l private-key -d 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l pkcs11-uri -d 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l pkcs11-module -d 'The PKCS#11 module (shared library) when the URI names none' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l pin-file -d 'Read the token PIN from this file (one trailing newline is removed)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l pin-env -d 'Read the token PIN from this environment variable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l signing-certificate -d 'Certificate for the private key (certificate method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l certificate-chain -d 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l password-file -d 'Read the private key\'s password from this file (one trailing newline is removed)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l password-env -d 'Read the private key\'s password from this environment variable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l password -d 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l identity-token -d 'Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN; without either, ambient CI credentials (GitHub Actions, ...) are used' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand attest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l ignore-paths -d 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l signature -d 'The signature file, excluded from the digest when it lies inside the model, as `sign` excludes it. Default: model.sig inside the model directory' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l hash -d 'Per-file hash function' -r -f -a "sha256\t''
blake2b\t''
blake3\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l shard-size -d 'Hash files in shards of N bytes (serialization `shards`) instead of whole files' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l no-ignore-git-paths -d 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)'
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l ignore-git-paths -d 'Ignore the top-level git paths (the default)'
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l allow-symlinks -d 'Hash the target of file symlinks inside the model (links leaving the model are errors)'
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand digest" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l repo-type -d 'The repository type (default: model, or dataset for datasets/ORG/NAME)' -r -f -a "model\t''
dataset\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l revision -d 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l signature-path -d 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l cache-dir -d 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l kaggle-endpoint -d 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l timeout -d 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l include -d 'Download only files matching PATTERN (fnmatch, as `hf download`: `*` crosses `/`; `dir/` means everything below). Repeatable. The signature still covers the whole listing' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l exclude -d 'Do not download files matching PATTERN. Repeatable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l public-key -d 'Trusted EC public key (key method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l certificate-chain -d 'Trust anchors (certificate method). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l identity -d 'Sigstore keyless: the signer\'s identity (certificate SAN: email or URI), exact match' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l issuer -l identity-provider -d 'Sigstore keyless: the OIDC issuer that vouched for the identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l policy -d 'Trust policy file mapping repository patterns to required signers' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l local-dir -d 'Place a verified copy in DIR instead of the HF cache' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l concurrency -d 'Parallel file transfers' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l lock -d 'Record the verified pull in a lock file (--lock=FILE; default ./hubsign.lock): ref, commit, digest, signer, signature hash. A reference already locked moves on only when the same signer signed the new commit. Without --lock an existing ./hubsign.lock is still read, never written: it can refuse a changed signer, never trust more' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l ignore-unsigned-files -d 'Do not fail on repository files the signature does not cover; they are not downloaded'
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l force -d 'With --local-dir: move the files in DIR hubsign did not place there (or this pull does not place) aside, into a dated folder beside DIR, never deleting one (by default such a directory is refused, naming them)'
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l accept-new-signer -d 'Accept a signer other than the one the lock names (with --lock, the lock then names the new signer)'
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand pull" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l repo-type -d 'The repository type (default: model, or dataset for datasets/ORG/NAME)' -r -f -a "model\t''
dataset\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l revision -d 'Branch to commit to' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l signature -d 'The model\'s signature. Default: model.sig inside the model directory (Kaggle: .kaggle/signing.json), uploaded to that same path in the repository' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l method -d 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)' -r -f -a "key\t''
certificate\t''
sigstore\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l private-key -d 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l pkcs11-uri -d 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l pkcs11-module -d 'The PKCS#11 module (shared library) when the URI names none' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l pin-file -d 'Read the token PIN from this file (one trailing newline is removed)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l pin-env -d 'Read the token PIN from this environment variable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l signing-certificate -d 'Certificate for the private key (certificate method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l certificate-chain -d 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l password-file -d 'Read the private key\'s password from this file (one trailing newline is removed)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l password-env -d 'Read the private key\'s password from this environment variable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l password -d 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l public-key -d 'Trusted public key for verifying an existing signature (when not signing now)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l policy -d 'Trust policy file (when not signing now and no --public-key)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l ignore-paths -d 'Exclude a path from the signature and the upload. Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l commit-message -d 'Commit summary' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l concurrency -d 'Parallel LFS uploads' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l kaggle-endpoint -d 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l resign -d 'Sign again even if the model already carries a valid signature'
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l private -d 'Create the repository as private'
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l create-pr -d 'Open a pull request instead of committing to the branch'
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l signature -d 'The signature file of a local model. Default: model.sig inside the model directory' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l public-key -d 'Verify the signature with this EC public key (optional: without a signer flag the signer is shown as the signature names it, unverified)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l certificate-chain -d 'Verify the signature against these trust anchors (certificate method). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l identity -d 'Sigstore keyless: the signer\'s identity (certificate SAN: email or URI), exact match' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l issuer -l identity-provider -d 'Sigstore keyless: the OIDC issuer that vouched for the identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l claims-public-key -d 'Also trust claims signed with this EC public key (an evaluator\'s, say). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l cache-dir -d 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l kagglehub-cache -d 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l oci-cache -d 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l kaggle-endpoint -d 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l timeout -d 'A connection that delivers no data for this many seconds is dropped' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l remote -d 'Ask the hub (or registry) even when a snapshot is cached: its signature and claims are fetched, no weight. A repository not in any cache is always asked for'
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l repo-type -d 'The repository type (default: model, or dataset for datasets/ORG/NAME)' -r -f -a "model\t''
dataset\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l revision -d 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l signature-path -d 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l cache-dir -d 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l kaggle-endpoint -d 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l timeout -d 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l public-key -d 'Trusted EC public key (key method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l certificate-chain -d 'Trust anchors (certificate method). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l identity -d 'Sigstore keyless: the signer\'s identity (certificate SAN: email or URI), exact match' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l issuer -l identity-provider -d 'Sigstore keyless: the OIDC issuer that vouched for the identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l policy -d 'Trust policy file mapping repository patterns to required signers' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l ignore-unsigned-files -d 'Do not fail on repository files the signature does not cover; they are not downloaded'
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand check" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l repo-type -d 'The repository type (default: model, or dataset for datasets/ORG/NAME)' -r -f -a "model\t''
dataset\t''"
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l revision -d 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l signature-path -d 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l cache-dir -d 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l kaggle-endpoint -d 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l timeout -d 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l public-key -d 'Trusted EC public key (key method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l certificate-chain -d 'Trust anchors (certificate method). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l identity -d 'Sigstore keyless: the signer\'s identity (certificate SAN: email or URI), exact match' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l issuer -l identity-provider -d 'Sigstore keyless: the OIDC issuer that vouched for the identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l policy -d 'Trust policy file mapping repository patterns to required signers' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l ignore-unsigned-files -d 'Do not fail on repository files the signature does not cover; they are not downloaded'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand verify-cache" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l lock -d 'The lock file' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l public-key -d 'Trusted EC public key (key method)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l certificate-chain -d 'Trust anchors (certificate method). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l identity -d 'Sigstore keyless: the signer\'s identity (certificate SAN: email or URI), exact match' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l issuer -l identity-provider -d 'Sigstore keyless: the OIDC issuer that vouched for the identity' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l trust-config -d 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing\'s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l policy -d 'Trust policy file mapping repository patterns to required signers' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l cache-dir -d 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l kagglehub-cache -d 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l oci-cache -d 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l kaggle-endpoint -d 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l insecure-registry -d 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l timeout -d 'A connection that delivers no data for this many seconds is dropped and resumed' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l concurrency -d 'Parallel file transfers' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l staging -d 'Sigstore keyless: the public staging instance (embedded root and signing config)'
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand sync" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l cache-dir -d 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l kagglehub-cache -d 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l oci-cache -d 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l policy -d 'Trust policy: report whether each snapshot\'s signer is the one trusted for its repository (default: HUBSIGN_POLICY, else ~/.config/hubsign/hubsign.toml if present)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l signer -d 'List only what this signer signed: a key or certificate fingerprint (hex SHA-256, as `verify` prints it, or a prefix of at least 8 hex digits), a keyless identity (email or URI), or a certificate subject (CN=…)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l derived-from -d 'List only the snapshots whose verified lineage includes this base model: its root digest (sha256:<hex>) or a reference whose cached snapshot\'s root digest is used' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l claims-public-key -d 'Also trust claims signed with this EC public key (an evaluator\'s, say). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand audit" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -l cache-dir -d 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -l kagglehub-cache -d 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -l oci-cache -d 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -l local-dir -d 'Also a directory pulled into with --local-dir (its .cache/hubsign/staging). Repeatable' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -l clean -d 'Remove every staging folder no running pull holds (its downloads start over)'
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand staging" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l upstream -d 'The upstream hub (e.g. https://huggingface.co)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l policy -d 'Trust policy file: which signer each repository must be signed by. Repositories no rule covers are refused' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l cache-dir -d 'The mirror\'s cache (a Hugging Face cache layout; may be shared by several replicas). Default: HF_HUB_CACHE, else $HF_HOME/hub' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l listen -d 'Address to listen on (port 0: any free port, see --port-file)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l token-file -d 'The mirror\'s own upstream token (one line). The clients\' tokens are never forwarded' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l client-tokens -d 'Bearer tokens clients must present, one per line; without it the mirror is open' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l access-log -d 'Append the access log (one JSON object per request) to FILE instead of stderr' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l port-file -d 'Write the port the mirror listens on to FILE once it accepts connections' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l signature-path -d 'Path of the signature inside each repository' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l concurrency -d 'Parallel file transfers of one verified pull' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l timeout -d 'An upstream connection that delivers no data for this many seconds is dropped and the transfer resumed' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l tree-page-size -d 'Entries per page of tree listings' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l header-read-timeout -d 'A client must send its request head within this many seconds, or is disconnected' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l pull-timeout -d 'A verified pull not finished after this many seconds is abandoned (its clients get a 502; the next request starts again, reusing what verified)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l ignore-unsigned-files -d 'Serve repositories holding files the signature does not cover (those files are not listed or served); by default such repositories are refused'
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand serve" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand keygen" -l password-file -d 'Encrypt the private key with the password in this file (one trailing newline is removed, as `sign --password-file` reads it)' -r -F
complete -c hubsign -n "__fish_hubsign_using_subcommand keygen" -l password-env -d 'Encrypt the private key with the password in this environment variable' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand keygen" -l kdf-rounds -d 'PBKDF2-HMAC-SHA256 rounds of the key encryption (lower only to make tests fast)' -r
complete -c hubsign -n "__fish_hubsign_using_subcommand keygen" -l encrypt -d 'Encrypt the private key with a password asked on the terminal (twice)'
complete -c hubsign -n "__fish_hubsign_using_subcommand keygen" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand keygen" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand keygen" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand install-hf-extension" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand install-hf-extension" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand install-hf-extension" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c hubsign -n "__fish_hubsign_using_subcommand completions" -s q -l quiet -d 'No progress bars or summaries; results meant for scripts (a pull\'s snapshot path, a push\'s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
complete -c hubsign -n "__fish_hubsign_using_subcommand completions" -s h -l help -d 'Print help'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "sign" -d 'Sign a model directory or single-file model'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "verify" -d 'Verify a model against its signature'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "attest" -d 'Append a signed claim about a model to claims.jsonl beside its signature'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "digest" -d 'Print the model\'s OMS subject digest (sha256:<hex>) without signing'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "pull" -d 'Download a signed model from the Hugging Face Hub into the HF cache, verified before anything is cached. Prints the snapshot path on stdout'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "push" -d 'Sign the model if needed and publish it with its signature as one commit (prints the commit URL)'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "inspect" -d 'Show a model\'s record: who signed it and when, its files, its claims (licence, evaluations, lineage), each marked trusted or not. Trust flags are optional here'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "check" -d 'Steps 1-3 of pull only: verify the signature and compare it with the hub\'s file listing, without downloading any weights'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "verify-cache" -d 'Re-verify a cached snapshot offline (the signature inside it, then every file)'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "sync" -d 'Pull every model and dataset in the lock file at its locked commit, requiring the locked digest, signature and signer (with HF_HUB_OFFLINE=1: check the caches against the lock)'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "audit" -d 'List every snapshot in the Hugging Face and kagglehub caches: who signed it, whether its files still match the signature (re-hashed), and whether the policy trusts that signer. Never modifies a cache'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "staging" -d 'List the partial downloads interrupted pulls keep to resume (size, repository, commit, age), and with --clean remove those no running pull holds'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "serve" -d 'Run a verifying Hugging Face mirror: point HF_ENDPOINT at it and clients get only repositories that verify under the trust policy (others are answered 403 with the reason)'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "keygen" -d 'Make a signing key: a new P-256 private key in OUT (PKCS#8 PEM, mode 0600, encrypted on request) and its public key in OUT.pub. Never replaces an existing file'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "install-hf-extension" -d 'Register hubsign as an extension of the `hf` CLI (huggingface_hub 2.x), so `hf hubsign …` runs this executable: writes ~/.local/share/hf/extensions/hf-hubsign/manifest.json as `hf extensions install` would (`hf extensions remove hubsign` undoes it)'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c hubsign -n "__fish_hubsign_using_subcommand help; and not __fish_seen_subcommand_from sign verify attest digest pull push inspect check verify-cache sync audit staging serve keygen install-hf-extension completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
