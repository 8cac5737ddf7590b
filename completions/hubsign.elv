
use builtin;
use str;

set edit:completion:arg-completer[hubsign] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'hubsign'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'hubsign'= {
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand sign 'Sign a model directory or single-file model'
            cand verify 'Verify a model against its signature'
            cand attest 'Append a signed claim about a model to claims.jsonl beside its signature'
            cand digest 'Print the model''s OMS subject digest (sha256:<hex>) without signing'
            cand pull 'Download a signed model from the Hugging Face Hub into the HF cache, verified before anything is cached. Prints the snapshot path on stdout'
            cand push 'Sign the model if needed and publish it with its signature as one commit (prints the commit URL)'
            cand inspect 'Show a model''s record: who signed it and when, its files, its claims (licence, evaluations, lineage), each marked trusted or not. Trust flags are optional here'
            cand check 'Steps 1-3 of pull only: verify the signature and compare it with the hub''s file listing, without downloading any weights'
            cand verify-cache 'Re-verify a cached snapshot offline (the signature inside it, then every file)'
            cand sync 'Pull every model and dataset in the lock file at its locked commit, requiring the locked digest, signature and signer (with HF_HUB_OFFLINE=1: check the caches against the lock)'
            cand audit 'List every snapshot in the Hugging Face and kagglehub caches: who signed it, whether its files still match the signature (re-hashed), and whether the policy trusts that signer. Never modifies a cache'
            cand staging 'List the partial downloads interrupted pulls keep to resume (size, repository, commit, age), and with --clean remove those no running pull holds'
            cand serve 'Run a verifying Hugging Face mirror: point HF_ENDPOINT at it and clients get only repositories that verify under the trust policy (others are answered 403 with the reason)'
            cand keygen 'Make a signing key: a new P-256 private key in OUT (PKCS#8 PEM, mode 0600, encrypted on request) and its public key in OUT.pub. Never replaces an existing file'
            cand install-hf-extension 'Register hubsign as an extension of the `hf` CLI (huggingface_hub 2.x), so `hf hubsign …` runs this executable: writes ~/.local/share/hf/extensions/hf-hubsign/manifest.json as `hf extensions install` would (`hf extensions remove hubsign` undoes it)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hubsign;sign'= {
            cand --ignore-paths 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable'
            cand --hash 'Per-file hash function'
            cand --shard-size 'Hash files in shards of N bytes (serialization `shards`) instead of whole files'
            cand --signature 'Where to write the signature. Default: model.sig inside the model directory (for a single-file model: model.sig beside the file; for an oci:// artifact: attached in the registry only, and also written here when given)'
            cand --method 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)'
            cand --private-key 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8'
            cand --pkcs11-uri 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token'
            cand --pkcs11-module 'The PKCS#11 module (shared library) when the URI names none'
            cand --pin-file 'Read the token PIN from this file (one trailing newline is removed)'
            cand --pin-env 'Read the token PIN from this environment variable'
            cand --signing-certificate 'Certificate for the private key (certificate method)'
            cand --certificate-chain 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable'
            cand --password-file 'Read the private key''s password from this file (one trailing newline is removed)'
            cand --password-env 'Read the private key''s password from this environment variable'
            cand --password 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --identity-token 'Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN; without either, ambient CI credentials (GitHub Actions, ...) are used'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --changed 'Hash this file or folder (relative to the model, or absolute inside it) whatever the hash record says. Repeatable'
            cand --public-key 'The public key the existing signature must verify with. Default: the signing key''s public key (for a certificate: the certificates given with --certificate-chain)'
            cand --identity 'Sigstore keyless: the identity the existing signature''s certificate must name (exact match); needed with keyless signing'
            cand --issuer 'Sigstore keyless: the OIDC issuer of that identity'
            cand --no-ignore-git-paths 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)'
            cand --ignore-git-paths 'Ignore the top-level git paths (the default)'
            cand --allow-symlinks 'Hash the target of file symlinks inside the model (links leaving the model are errors)'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --incremental 'Re-sign reusing the digests of unchanged files: the existing signature (the file --signature names, default model.sig) is verified first, and only new files, files named with --changed and files whose device, inode, size, mtime or ctime differ from the local hash record are hashed. Not for oci:// artifacts'
            cand --rehash-all 'Ignore the local hash record and hash every file (the existing signature is still verified)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hubsign;verify'= {
            cand --ignore-paths 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable'
            cand --signature 'The signature to verify. Default: model.sig inside the model directory (for a single-file model: model.sig beside the file; for an oci:// artifact: the signature attached to it in the registry)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --method 'Verification method; inferred from --public-key / --certificate-chain when omitted'
            cand --public-key 'Trusted EC public key (key method)'
            cand --certificate-chain 'Trust anchors (certificate method): every certificate in these files is trusted. Repeatable'
            cand --identity 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match'
            cand --issuer 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --identity-provider 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --claims-public-key 'Also trust claims signed with this EC public key (an evaluator''s, say). Repeatable'
            cand --no-ignore-git-paths 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)'
            cand --ignore-git-paths 'Ignore the top-level git paths (the default)'
            cand --allow-symlinks 'Hash the target of file symlinks inside the model (links leaving the model are errors)'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --ignore-unsigned-files 'Do not fail on files the signature does not cover (they are not read)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;attest'= {
            cand --model-card 'Claim the model card''s YAML front matter: README.md in the model directory, or the card given'
            cand --eval-result 'Claim an evaluation result: a JSON file holding an in-toto eval-result predicate'
            cand --derived-from 'Claim lineage: the base model, as sha256:<its root digest> (recorded as given), a local model directory or a repository (its signature verified with the --base-* flags; a repository''s on its hub, no weight downloaded)'
            cand --base-name 'The base model''s name recorded in the lineage claim (a hint; default: the directory''s name, or \"_\" for a digest)'
            cand --base-public-key 'The base model''s trusted EC public key (key method)'
            cand --base-certificate-chain 'The base model''s trust anchors (certificate method). Repeatable'
            cand --base-identity 'The base model''s Sigstore identity (keyless)'
            cand --base-issuer 'The OIDC issuer of --base-identity'
            cand --base-trust-config 'The Sigstore trusted root (or ClientTrustConfig) for --base-identity (default: production)'
            cand --predicate-type 'Claim any predicate: its type URI (with --predicate)'
            cand --predicate 'The predicate of --predicate-type: a file holding a JSON object'
            cand --signature 'The model''s signature (its serialization is used, and the model must match it); claims.jsonl goes beside it. Default: model.sig in the model directory'
            cand --method 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)'
            cand --private-key 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8'
            cand --pkcs11-uri 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token'
            cand --pkcs11-module 'The PKCS#11 module (shared library) when the URI names none'
            cand --pin-file 'Read the token PIN from this file (one trailing newline is removed)'
            cand --pin-env 'Read the token PIN from this environment variable'
            cand --signing-certificate 'Certificate for the private key (certificate method)'
            cand --certificate-chain 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable'
            cand --password-file 'Read the private key''s password from this file (one trailing newline is removed)'
            cand --password-env 'Read the private key''s password from this environment variable'
            cand --password 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)'
            cand --identity-token 'Keyless (Sigstore) signing: the OIDC identity token. Also read from SIGSTORE_ID_TOKEN; without either, ambient CI credentials (GitHub Actions, ...) are used'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hubsign;digest'= {
            cand --ignore-paths 'Exclude a path (file or directory, whole components) relative to the model, or an absolute path inside it. Repeatable'
            cand --signature 'The signature file, excluded from the digest when it lies inside the model, as `sign` excludes it. Default: model.sig inside the model directory'
            cand --hash 'Per-file hash function'
            cand --shard-size 'Hash files in shards of N bytes (serialization `shards`) instead of whole files'
            cand --no-ignore-git-paths 'Include the top-level .git, .gitattributes, .github and .gitignore (ignored by default)'
            cand --ignore-git-paths 'Ignore the top-level git paths (the default)'
            cand --allow-symlinks 'Hash the target of file symlinks inside the model (links leaving the model are errors)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;pull'= {
            cand --repo-type 'The repository type (default: model, or dataset for datasets/ORG/NAME)'
            cand --revision 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)'
            cand --signature-path 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)'
            cand --cache-dir 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)'
            cand --kaggle-endpoint 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --timeout 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)'
            cand --include 'Download only files matching PATTERN (fnmatch, as `hf download`: `*` crosses `/`; `dir/` means everything below). Repeatable. The signature still covers the whole listing'
            cand --exclude 'Do not download files matching PATTERN. Repeatable'
            cand --public-key 'Trusted EC public key (key method)'
            cand --certificate-chain 'Trust anchors (certificate method). Repeatable'
            cand --identity 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match'
            cand --issuer 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --identity-provider 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --policy 'Trust policy file mapping repository patterns to required signers'
            cand --local-dir 'Place a verified copy in DIR instead of the HF cache'
            cand --concurrency 'Parallel file transfers'
            cand --lock 'Record the verified pull in a lock file (--lock=FILE; default ./hubsign.lock): ref, commit, digest, signer, signature hash. A reference already locked moves on only when the same signer signed the new commit. Without --lock an existing ./hubsign.lock is still read, never written: it can refuse a changed signer, never trust more'
            cand --ignore-unsigned-files 'Do not fail on repository files the signature does not cover; they are not downloaded'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --force 'With --local-dir: move the files in DIR hubsign did not place there (or this pull does not place) aside, into a dated folder beside DIR, never deleting one (by default such a directory is refused, naming them)'
            cand --accept-new-signer 'Accept a signer other than the one the lock names (with --lock, the lock then names the new signer)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;push'= {
            cand --repo-type 'The repository type (default: model, or dataset for datasets/ORG/NAME)'
            cand --revision 'Branch to commit to'
            cand --signature 'The model''s signature. Default: model.sig inside the model directory (Kaggle: .kaggle/signing.json), uploaded to that same path in the repository'
            cand --method 'Signing method; inferred from the key material when omitted (certificate if --signing-certificate is given, key if --private-key is given, else sigstore)'
            cand --private-key 'EC private key (P-256, P-384 or P-521), PEM: PKCS#8, SEC1 or encrypted PKCS#8'
            cand --pkcs11-uri 'The key on a PKCS#11 token (HSM, smart card), RFC 7512: pkcs11:token=…;object=…|id=… [?module-path=…|module-name=…][&pin-value=…|pin-source=file:…]. It never leaves the token'
            cand --pkcs11-module 'The PKCS#11 module (shared library) when the URI names none'
            cand --pin-file 'Read the token PIN from this file (one trailing newline is removed)'
            cand --pin-env 'Read the token PIN from this environment variable'
            cand --signing-certificate 'Certificate for the private key (certificate method)'
            cand --certificate-chain 'Intermediate (and root) certificates to embed after the signing certificate. Repeatable'
            cand --password-file 'Read the private key''s password from this file (one trailing newline is removed)'
            cand --password-env 'Read the private key''s password from this environment variable'
            cand --password 'The password itself (visible to other users in the process list: prefer --password-file, --password-env or the interactive prompt)'
            cand --public-key 'Trusted public key for verifying an existing signature (when not signing now)'
            cand --policy 'Trust policy file (when not signing now and no --public-key)'
            cand --ignore-paths 'Exclude a path from the signature and the upload. Repeatable'
            cand --commit-message 'Commit summary'
            cand --concurrency 'Parallel LFS uploads'
            cand --kaggle-endpoint 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --resign 'Sign again even if the model already carries a valid signature'
            cand --private 'Create the repository as private'
            cand --create-pr 'Open a pull request instead of committing to the branch'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hubsign;inspect'= {
            cand --signature 'The signature file of a local model. Default: model.sig inside the model directory'
            cand --public-key 'Verify the signature with this EC public key (optional: without a signer flag the signer is shown as the signature names it, unverified)'
            cand --certificate-chain 'Verify the signature against these trust anchors (certificate method). Repeatable'
            cand --identity 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match'
            cand --issuer 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --identity-provider 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --claims-public-key 'Also trust claims signed with this EC public key (an evaluator''s, say). Repeatable'
            cand --cache-dir 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)'
            cand --kagglehub-cache 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)'
            cand --oci-cache 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)'
            cand --kaggle-endpoint 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --timeout 'A connection that delivers no data for this many seconds is dropped'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --remote 'Ask the hub (or registry) even when a snapshot is cached: its signature and claims are fetched, no weight. A repository not in any cache is always asked for'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;check'= {
            cand --repo-type 'The repository type (default: model, or dataset for datasets/ORG/NAME)'
            cand --revision 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)'
            cand --signature-path 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)'
            cand --cache-dir 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)'
            cand --kaggle-endpoint 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --timeout 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)'
            cand --public-key 'Trusted EC public key (key method)'
            cand --certificate-chain 'Trust anchors (certificate method). Repeatable'
            cand --identity 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match'
            cand --issuer 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --identity-provider 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --policy 'Trust policy file mapping repository patterns to required signers'
            cand --ignore-unsigned-files 'Do not fail on repository files the signature does not cover; they are not downloaded'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;verify-cache'= {
            cand --repo-type 'The repository type (default: model, or dataset for datasets/ORG/NAME)'
            cand --revision 'Branch, tag or commit (default: main, or the @REVISION of MODEL); on Kaggle a version number (default: the /VERSION of MODEL, else the latest); in an OCI registry a tag or a sha256: digest (default: the :TAG or @DIGEST of MODEL, else latest)'
            cand --signature-path 'Path of the signature inside the repository (default: model.sig; on Kaggle .kaggle/signing.json, where kagglehub puts it)'
            cand --cache-dir 'The cache directory (default: HF_HUB_CACHE, else $HF_HOME/hub; for Kaggle models KAGGLEHUB_CACHE, else ~/.cache/kagglehub; for OCI registries HUBSIGN_OCI_CACHE, else $XDG_CACHE_HOME/hubsign/oci, else ~/.cache/hubsign/oci)'
            cand --kaggle-endpoint 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --timeout 'A connection that delivers no data for this many seconds is dropped and the transfer resumed (with a Range request)'
            cand --public-key 'Trusted EC public key (key method)'
            cand --certificate-chain 'Trust anchors (certificate method). Repeatable'
            cand --identity 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match'
            cand --issuer 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --identity-provider 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --policy 'Trust policy file mapping repository patterns to required signers'
            cand --ignore-unsigned-files 'Do not fail on repository files the signature does not cover; they are not downloaded'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;sync'= {
            cand --lock 'The lock file'
            cand --public-key 'Trusted EC public key (key method)'
            cand --certificate-chain 'Trust anchors (certificate method). Repeatable'
            cand --identity 'Sigstore keyless: the signer''s identity (certificate SAN: email or URI), exact match'
            cand --issuer 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --identity-provider 'Sigstore keyless: the OIDC issuer that vouched for the identity'
            cand --trust-config 'Sigstore keyless: use this instance instead of production — a ClientTrustConfig (trusted root + signing config, as model_signing''s --trust_config takes; signing needs one), or a trusted root JSON for verifying. Verification is offline'
            cand --policy 'Trust policy file mapping repository patterns to required signers'
            cand --cache-dir 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)'
            cand --kagglehub-cache 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)'
            cand --oci-cache 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)'
            cand --kaggle-endpoint 'The Kaggle API base URL that /v1/<service>/<method> is appended to, for a mirror (default: https://api.kaggle.com, or what KAGGLE_API_ENVIRONMENT names)'
            cand --insecure-registry 'Reach the OCI registry REGISTRY (HOST[:PORT], as the oci:// reference names it) over plain HTTP, without TLS. Repeatable. It lowers TLS for that registry only; localhost, 127.0.0.1 and [::1] are reached over plain HTTP without it, as docker and skopeo reach them'
            cand --timeout 'A connection that delivers no data for this many seconds is dropped and resumed'
            cand --concurrency 'Parallel file transfers'
            cand --staging 'Sigstore keyless: the public staging instance (embedded root and signing config)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;audit'= {
            cand --cache-dir 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)'
            cand --kagglehub-cache 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)'
            cand --oci-cache 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)'
            cand --policy 'Trust policy: report whether each snapshot''s signer is the one trusted for its repository (default: HUBSIGN_POLICY, else ~/.config/hubsign/hubsign.toml if present)'
            cand --signer 'List only what this signer signed: a key or certificate fingerprint (hex SHA-256, as `verify` prints it, or a prefix of at least 8 hex digits), a keyless identity (email or URI), or a certificate subject (CN=…)'
            cand --derived-from 'List only the snapshots whose verified lineage includes this base model: its root digest (sha256:<hex>) or a reference whose cached snapshot''s root digest is used'
            cand --claims-public-key 'Also trust claims signed with this EC public key (an evaluator''s, say). Repeatable'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;staging'= {
            cand --cache-dir 'The Hugging Face cache (default: HF_HUB_CACHE, else $HF_HOME/hub)'
            cand --kagglehub-cache 'The kagglehub cache (default: KAGGLEHUB_CACHE, else ~/.cache/kagglehub)'
            cand --oci-cache 'The cache of models pulled from OCI registries (default: HUBSIGN_OCI_CACHE, else ~/.cache/hubsign/oci)'
            cand --local-dir 'Also a directory pulled into with --local-dir (its .cache/hubsign/staging). Repeatable'
            cand --clean 'Remove every staging folder no running pull holds (its downloads start over)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;serve'= {
            cand --upstream 'The upstream hub (e.g. https://huggingface.co)'
            cand --policy 'Trust policy file: which signer each repository must be signed by. Repositories no rule covers are refused'
            cand --cache-dir 'The mirror''s cache (a Hugging Face cache layout; may be shared by several replicas). Default: HF_HUB_CACHE, else $HF_HOME/hub'
            cand --listen 'Address to listen on (port 0: any free port, see --port-file)'
            cand --token-file 'The mirror''s own upstream token (one line). The clients'' tokens are never forwarded'
            cand --client-tokens 'Bearer tokens clients must present, one per line; without it the mirror is open'
            cand --access-log 'Append the access log (one JSON object per request) to FILE instead of stderr'
            cand --port-file 'Write the port the mirror listens on to FILE once it accepts connections'
            cand --signature-path 'Path of the signature inside each repository'
            cand --concurrency 'Parallel file transfers of one verified pull'
            cand --timeout 'An upstream connection that delivers no data for this many seconds is dropped and the transfer resumed'
            cand --tree-page-size 'Entries per page of tree listings'
            cand --header-read-timeout 'A client must send its request head within this many seconds, or is disconnected'
            cand --pull-timeout 'A verified pull not finished after this many seconds is abandoned (its clients get a 502; the next request starts again, reusing what verified)'
            cand --ignore-unsigned-files 'Serve repositories holding files the signature does not cover (those files are not listed or served); by default such repositories are refused'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;keygen'= {
            cand --password-file 'Encrypt the private key with the password in this file (one trailing newline is removed, as `sign --password-file` reads it)'
            cand --password-env 'Encrypt the private key with the password in this environment variable'
            cand --kdf-rounds 'PBKDF2-HMAC-SHA256 rounds of the key encryption (lower only to make tests fast)'
            cand --encrypt 'Encrypt the private key with a password asked on the terminal (twice)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;install-hf-extension'= {
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;completions'= {
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand -q 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand --quiet 'No progress bars or summaries; results meant for scripts (a pull''s snapshot path, a push''s commit URL, digest) still go to stdout, errors to stderr. Twice (-qq): nothing on stdout either; only the exit code and errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hubsign;help'= {
            cand sign 'Sign a model directory or single-file model'
            cand verify 'Verify a model against its signature'
            cand attest 'Append a signed claim about a model to claims.jsonl beside its signature'
            cand digest 'Print the model''s OMS subject digest (sha256:<hex>) without signing'
            cand pull 'Download a signed model from the Hugging Face Hub into the HF cache, verified before anything is cached. Prints the snapshot path on stdout'
            cand push 'Sign the model if needed and publish it with its signature as one commit (prints the commit URL)'
            cand inspect 'Show a model''s record: who signed it and when, its files, its claims (licence, evaluations, lineage), each marked trusted or not. Trust flags are optional here'
            cand check 'Steps 1-3 of pull only: verify the signature and compare it with the hub''s file listing, without downloading any weights'
            cand verify-cache 'Re-verify a cached snapshot offline (the signature inside it, then every file)'
            cand sync 'Pull every model and dataset in the lock file at its locked commit, requiring the locked digest, signature and signer (with HF_HUB_OFFLINE=1: check the caches against the lock)'
            cand audit 'List every snapshot in the Hugging Face and kagglehub caches: who signed it, whether its files still match the signature (re-hashed), and whether the policy trusts that signer. Never modifies a cache'
            cand staging 'List the partial downloads interrupted pulls keep to resume (size, repository, commit, age), and with --clean remove those no running pull holds'
            cand serve 'Run a verifying Hugging Face mirror: point HF_ENDPOINT at it and clients get only repositories that verify under the trust policy (others are answered 403 with the reason)'
            cand keygen 'Make a signing key: a new P-256 private key in OUT (PKCS#8 PEM, mode 0600, encrypted on request) and its public key in OUT.pub. Never replaces an existing file'
            cand install-hf-extension 'Register hubsign as an extension of the `hf` CLI (huggingface_hub 2.x), so `hf hubsign …` runs this executable: writes ~/.local/share/hf/extensions/hf-hubsign/manifest.json as `hf extensions install` would (`hf extensions remove hubsign` undoes it)'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hubsign;help;sign'= {
        }
        &'hubsign;help;verify'= {
        }
        &'hubsign;help;attest'= {
        }
        &'hubsign;help;digest'= {
        }
        &'hubsign;help;pull'= {
        }
        &'hubsign;help;push'= {
        }
        &'hubsign;help;inspect'= {
        }
        &'hubsign;help;check'= {
        }
        &'hubsign;help;verify-cache'= {
        }
        &'hubsign;help;sync'= {
        }
        &'hubsign;help;audit'= {
        }
        &'hubsign;help;staging'= {
        }
        &'hubsign;help;serve'= {
        }
        &'hubsign;help;keygen'= {
        }
        &'hubsign;help;install-hf-extension'= {
        }
        &'hubsign;help;completions'= {
        }
        &'hubsign;help;help'= {
        }
    ]
    $completions[$command]
}
