//! What an OCI artifact signs, checked against the real tools: hubsign's OMS manifest of an
//! artifact equals rh-model-signing 1.0.5's `parse_oci_manifest` (ModelPack pushed by hubsign,
//! oras-style titled files, untitled layers, a ModelCar built by `olot`, and where they differ
//! on purpose, Docker Model Runner's filepath-only layers); tar layers hash as rh's
//! `_hash_tar_entries` hashes tars made by Python's `tarfile`; the ModelPack manifest
//! re-serializes in Python to its own bytes; and a directory's OMS manifest equals the one of
//! the artifact pushed from it.

use crate::support::{tempdir, tiny_model, write};
use hubsign::hub::oci::image::{ImageManifest, digest_of};
use hubsign::hub::oci::layout::{self, LayerKind, MODELCAR_PREFIX};
use hubsign::hub::oci::modelpack::{self, PushFile};
use hubsign::hub::oci::untar::{self, Limits};
use hubsign::manifest::{HashAlgorithm, Serialization, WalkOptions, build_manifest};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The OCI venv's Python, or a loud skip (a failure under `HUBSIGN_REQUIRE_ALL=1`).
fn oci_python() -> Option<PathBuf> {
    let venv = testhub::inputs::oci_venv()?;
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "HUBSIGN_OCI_VENV has no bin/python: {}",
        venv.display()
    );
    Some(py)
}

/// Runs `code` (after testhub's prelude) with `args`; the value it `out(...)`s.
fn py(python: &Path, code: &str, args: &[&Path]) -> Value {
    let out = Command::new(python)
        .arg("-c")
        .arg(testhub::python::script("", code))
        .args(args)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed:\n{stdout}\n{stderr}");
    testhub::python::result(&stdout, &stderr)
}

/// rh-model-signing's reading of the manifest at argv[1], directory layers pulled from the
/// OCI layout blobs at argv[2]: its model name and `[name, algorithm, hex]` resources in order.
const RH_PARSE: &str = r#"
from model_signing._oci.manifest_parser import parse_oci_manifest
m = json.loads(read(sys.argv[1]))
class Blobs:
    def pull_blob(self, ref, digest):
        return read(os.path.join(sys.argv[2], digest.split(":", 1)[1]))
man = parse_oci_manifest(m, oci_client=Blobs(), image_ref="unused")
out({"name": man.model_name,
     "resources": [[r.identifier, r.digest.algorithm, r.digest.digest_hex] for r in man.resource_descriptors()]})
"#;

/// hubsign's reading of the same: the plan, tar layers hashed from the blobs, the OMS manifest.
fn hubsign_parse(manifest: &[u8], blobs: &Path) -> Value {
    let m: ImageManifest = serde_json::from_slice(manifest).unwrap();
    let mut plan = layout::plan(&m).unwrap();
    for index in plan.tar_layers.clone() {
        let desc = &m.layers[index];
        let LayerKind::Tar(compression) = layout::layer_kind(desc).unwrap() else {
            panic!("layer {index} is not a tar");
        };
        let blob = fs_err::File::open(blobs.join(&desc.digest[7..])).unwrap();
        let files = untar::hash_entries(blob, compression, MODELCAR_PREFIX, &Limits::default()).unwrap();
        plan.add_tar_entries(index, &files).unwrap();
    }
    let entries = plan.finish().unwrap();
    let oms = layout::oms_manifest(&m, &entries).unwrap();
    json!({
        "name": oms.model_name,
        "resources": oms.resources.iter().map(|r| json!([r.name, r.algorithm, hex::encode(&r.digest)])).collect::<Vec<_>>(),
    })
}

/// Both readings of the manifest `bytes` (written to `dir`), which must agree.
fn both_agree(python: &Path, dir: &Path, bytes: &[u8], blobs: &Path) -> Value {
    let path = dir.join(format!("manifest-{}.json", &digest_of(bytes)[7..19]));
    write(&path, bytes);
    let rh = py(python, RH_PARSE, &[&path, blobs]);
    let ours = hubsign_parse(bytes, blobs);
    assert_eq!(
        ours,
        rh,
        "hubsign and rh-model-signing read {} differently",
        path.display()
    );
    ours
}

/// The files of the model at `dir` as `push` publishes them (walk and hash as signing does).
fn push_files(dir: &Path) -> (hubsign::manifest::Manifest, Vec<PushFile>) {
    let oms = build_manifest(
        dir,
        &WalkOptions::default(),
        Serialization::Files,
        HashAlgorithm::Sha256,
    )
    .unwrap();
    let files = oms
        .resources
        .iter()
        .map(|r| PushFile {
            path: r.name.clone(),
            digest: format!("sha256:{}", hex::encode(&r.digest)),
            size: fs_err::metadata(dir.join(&r.name)).unwrap().len(),
        })
        .collect();
    (oms, files)
}

#[test]
fn the_artifact_pushed_from_a_directory_signs_what_the_directory_signs() {
    let tmp = tempdir();
    let model = tiny_model(tmp.path());
    let (dir_oms, files) = push_files(&model);
    let built = modelpack::build(&files, &BTreeMap::new());
    let m: ImageManifest = serde_json::from_slice(&built.manifest).unwrap();
    let entries = layout::entries(&m).unwrap();
    let art_oms = layout::oms_manifest(&m, &entries).unwrap();
    assert_eq!(art_oms.resources, dir_oms.resources);
    // The directory's records the git paths it left out (`ignore_paths`); verification compares
    // the resources, as model_signing's `Manifest.__eq__` does.
    assert_eq!(
        (
            art_oms.serialization.method,
            art_oms.serialization.hash,
            art_oms.serialization.symlinks
        ),
        (
            dir_oms.serialization.method,
            dir_oms.serialization.hash,
            dir_oms.serialization.symlinks
        )
    );
    assert_eq!(art_oms.root_digest(), dir_oms.root_digest());
    // Without a config.json file the config blob would be signed too: not the directory's.
    let no_config: Vec<PushFile> = files
        .iter()
        .filter(|f| f.path != "config.json")
        .cloned()
        .collect();
    let built = modelpack::build(&no_config, &BTreeMap::new());
    let m: ImageManifest = serde_json::from_slice(&built.manifest).unwrap();
    let config = layout::entries(&m)
        .unwrap()
        .into_iter()
        .find(|e| e.path == "config.json")
        .unwrap();
    assert_eq!(config.digest, built.config_descriptor.digest);
}

#[test]
fn python_reserializes_the_pushed_manifest_to_its_own_bytes() {
    let Some(python) = oci_python() else { return };
    let tmp = tempdir();
    let f = |path: &str| PushFile {
        path: path.into(),
        digest: digest_of(path.as_bytes()),
        size: path.len() as u64,
    };
    let files = [
        f("config.json"),
        f("modèle/poids.safetensors"),
        f("日本/語.txt"),
        f("emoji/😀.bin"),
        f("q\"uote\\.md"),
    ];
    let annotations = BTreeMap::from([
        (
            "org.opencontainers.image.name".to_owned(),
            "tiny-modèl 😀".to_owned(),
        ),
        (
            "org.opencontainers.image.description".to_owned(),
            "tab\there\nand \u{7f}".to_owned(),
        ),
    ]);
    let built = modelpack::build(&files, &annotations);
    let path = tmp.path().join("manifest.json");
    write(&path, &built.manifest);
    let config = tmp.path().join("config.json");
    write(&config, &built.config);
    // rh-model-signing's digest of a manifest: its compact re-serialization (registry.py).
    let got = py(
        &python,
        r#"
import hashlib
def again(p):
    b = read(p)
    return [json.dumps(json.loads(b), separators=(",", ":")).encode() == b,
            "sha256:" + hashlib.sha256(json.dumps(json.loads(b), separators=(",", ":")).encode()).hexdigest()]
out(again(sys.argv[1]) + again(sys.argv[2]))
"#,
        &[&path, &config],
    );
    assert_eq!(
        got,
        json!([true, built.manifest_digest, true, built.config_descriptor.digest])
    );
}

#[test]
fn modelpack_client_accepts_the_pushed_manifest_and_config() {
    let Some(python) = oci_python() else { return };
    let tmp = tempdir();
    let model = tiny_model(tmp.path());
    let (_, files) = push_files(&model);
    let annotations = BTreeMap::from([
        ("org.opencontainers.image.name".to_owned(), "tiny".to_owned()),
        ("org.opencontainers.image.version".to_owned(), "1.0".to_owned()),
    ]);
    let built = modelpack::build(&files, &annotations);
    let manifest = tmp.path().join("manifest.json");
    write(&manifest, &built.manifest);
    let config = tmp.path().join("config.json");
    write(&config, &built.config);
    // modelpack-client's own checks of what it pulls: the manifest's shape and media types,
    // the config against model-spec's JSON schema, one diffId per layer.
    let got = py(
        &python,
        r#"
from modelpack_client.client import ModelPackClient
m = json.loads(read(sys.argv[1]))
c = json.loads(read(sys.argv[2]))
out([attempt(lambda: ModelPackClient._validate_manifest(m)),
     attempt(lambda: ModelPackClient._validate_config(c, len(m["layers"])))])
"#,
        &[&manifest, &config],
    );
    assert_eq!(got, json!([{"ok": null}, {"ok": null}]));
}

#[test]
fn oms_manifests_of_artifacts_equal_rh_model_signings() {
    let Some(python) = oci_python() else { return };
    let tmp = tempdir();
    let blobs = tmp.path().join("no-blobs");
    fs_err::create_dir_all(&blobs).unwrap();

    // 1. The ModelPack artifact hubsign pushes, from the vectors' tiny model (non-ASCII names
    //    and the OMS ordering cases included).
    let model = tiny_model(tmp.path());
    let (dir_oms, files) = push_files(&model);
    let annotations = BTreeMap::from([(
        "org.opencontainers.image.name".to_owned(),
        "tiny-modèl".to_owned(),
    )]);
    let built = modelpack::build(&files, &annotations);
    let got = both_agree(&python, tmp.path(), &built.manifest, &blobs);
    assert_eq!(got["name"], "tiny-modèl");
    assert_eq!(
        got["resources"].as_array().unwrap().len(),
        dir_oms.resources.len()
    );

    // 2. oras-style: files as `application/vnd.oci.image.layer.v1.tar` titled by path, the
    //    empty config (signed as config.json: no layer has that name).
    let layer = |title: Option<&str>, content: &str, mt: &str| {
        let mut l = json!({"mediaType": mt, "digest": digest_of(content.as_bytes()), "size": content.len()});
        if let Some(t) = title {
            l["annotations"] = json!({"org.opencontainers.image.title": t});
        }
        l
    };
    let oras = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.unknown.artifact.v1",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest_of(b"{}"), "size": 2},
        "layers": [
            layer(Some("model.safetensors"), "weights", "application/vnd.oci.image.layer.v1.tar"),
            layer(Some("./tokenizer//tokenizer.json"), "tok", "application/vnd.oci.image.layer.v1.tar"),
            layer(Some("docs/ü.md"), "doc", "text/markdown"),
        ],
        "annotations": {"org.opencontainers.image.base.name": "base-name"},
    });
    let got = both_agree(&python, tmp.path(), &serde_json::to_vec(&oras).unwrap(), &blobs);
    assert_eq!(got["name"], "base-name");
    assert_eq!(got["resources"][0][0], "config.json");

    // 3. Untitled layers (an image): layer_NNN.tar.gz in index order, past 10 to check the
    //    zero padding and the OMS order; the config signed.
    let untitled: Vec<Value> = (0..12)
        .map(|i| {
            layer(
                None,
                &format!("layer {i}"),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        })
        .collect();
    let image = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest_of(b"cfg"), "size": 3},
        "layers": untitled,
    });
    let got = both_agree(&python, tmp.path(), &serde_json::to_vec(&image).unwrap(), &blobs);
    assert_eq!(got["resources"][12][0], "layer_011.tar.gz");
    assert_eq!(got["name"], "oci-image");

    // 4. A ModelCar built by the real olot on a base image: file layers by their content
    //    digest, a directory layer by the files in its tar, the model card, the base layer and
    //    the config not signed.
    let car = tmp.path().join("car");
    let layout_dir = tmp.path().join("layout");
    write(&car.join("config.json"), b"{\"hidden_size\": 64}\n");
    write(
        &car.join("model.safetensors"),
        &testhub::models::det_bytes("car/model.safetensors", 70_000),
    );
    write(&car.join("tokenizer/vocab.txt"), b"a\nb\n");
    write(&car.join("tokenizer/merges.txt"), b"a b\n");
    write(&car.join("tokenizer/deep/ü-😀.json"), b"{}\n");
    write(&tmp.path().join("README.md"), b"# car\n");
    py(&python, BASE_IMAGE, &[&layout_dir]);
    let olot = python.parent().unwrap().join("olot");
    let out = Command::new(&olot)
        .arg(&layout_dir)
        .arg(car.join("config.json"))
        .arg(car.join("model.safetensors"))
        .arg(car.join("tokenizer"))
        .arg("--root-dir")
        .arg(&car)
        .arg("-m")
        .arg(tmp.path().join("README.md"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "olot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index: Value = serde_json::from_slice(&fs_err::read(layout_dir.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    let layout_blobs = layout_dir.join("blobs/sha256");
    let bytes = fs_err::read(layout_blobs.join(&digest[7..])).unwrap();
    let got = both_agree(&python, tmp.path(), &bytes, &layout_blobs);
    let names: Vec<&str> = got["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "README.md",
            "config.json",
            "model.safetensors",
            "tokenizer/deep/ü-😀.json",
            "tokenizer/merges.txt",
            "tokenizer/vocab.txt"
        ]
    );
    let m: ImageManifest = serde_json::from_slice(&bytes).unwrap();
    let plan = layout::plan(&m).unwrap();
    assert_eq!(plan.unsigned_layers, [0], "the base image's layer");
    assert_eq!(plan.tar_layers.len(), 1);
    // Pulling places exactly the signed files: each olot file layer extracted holds its file
    // with the annotated digest, the directory layer the files hashed above.
    let entries = {
        let mut p = layout::plan(&m).unwrap();
        let index = p.tar_layers[0];
        let blob = fs_err::File::open(layout_blobs.join(&m.layers[index].digest[7..])).unwrap();
        let files = untar::hash_entries(
            blob,
            untar::Compression::None,
            MODELCAR_PREFIX,
            &Limits::default(),
        )
        .unwrap();
        p.add_tar_entries(index, &files).unwrap();
        p.finish().unwrap()
    };
    for e in &entries {
        let (layout::EntrySource::OlotFile { index } | layout::EntrySource::InTar { index }) = e.source
        else {
            panic!("{e:?} is not from a ModelCar layer");
        };
        let layer = &m.layers[index];
        let LayerKind::Tar(compression) = layout::layer_kind(layer).unwrap() else {
            panic!("layer {index} is not a tar");
        };
        let dest = tmp.path().join(format!("pulled-{}", &e.digest[7..19]));
        fs_err::create_dir(&dest).unwrap();
        let blob = fs_err::File::open(layout_blobs.join(&layer.digest[7..])).unwrap();
        let placed = untar::extract(blob, compression, MODELCAR_PREFIX, &dest, &Limits::default()).unwrap();
        let file = placed.iter().find(|f| f.path == e.path).unwrap();
        assert_eq!(file.digest, e.digest, "{}", e.path);
        assert_eq!(
            fs_err::read(dest.join(&e.path)).unwrap(),
            fs_err::read(car.join(&e.path))
                .unwrap_or_else(|_| fs_err::read(tmp.path().join(&e.path)).unwrap())
        );
    }
    // The ModelCar's files are the directory's: the same signature verifies both.
    write(&car.join("README.md"), b"# car\n");
    let (car_oms, _) = push_files(&car);
    let car_res: Vec<Value> = car_oms
        .resources
        .iter()
        .map(|r| json!([r.name, r.algorithm, hex::encode(&r.digest)]))
        .collect();
    assert_eq!(got["resources"], json!(car_res));
}

#[test]
fn docker_model_runner_layers_are_named_by_filepath_where_rh_numbers_them() {
    let Some(python) = oci_python() else { return };
    let tmp = tempdir();
    let fp = |path: &str, content: &str, mt: &str| {
        json!({"mediaType": mt, "digest": digest_of(content.as_bytes()), "size": content.len(),
               "annotations": {"org.cncf.model.filepath": path}})
    };
    let dmr = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.docker.ai.model.config.v0.2+json", "digest": digest_of(b"dmr"), "size": 3},
        "layers": [
            fp("model.safetensors", "w", "application/vnd.docker.ai.safetensors"),
            fp("config.json", "c", "application/vnd.docker.ai.model.file"),
            fp("LICENSE", "l", "application/vnd.docker.ai.license"),
        ],
    });
    let bytes = serde_json::to_vec(&dmr).unwrap();
    let path = tmp.path().join("dmr.json");
    write(&path, &bytes);
    let rh = py(&python, RH_PARSE, &[&path, tmp.path()]);
    let ours = hubsign_parse(&bytes, tmp.path());
    // rh: layer_000.tar.gz … and the config blob as config.json; hubsign: the file paths, the
    // config.json layer in place of the config blob (the directory's manifest).
    let hexes = |v: &Value| -> BTreeMap<String, String> {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_owned(),
                    r[2].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let h = |s: &str| digest_of(s.as_bytes())[7..].to_owned();
    assert_eq!(
        hexes(&rh),
        BTreeMap::from([
            ("config.json".to_owned(), h("dmr")),
            ("layer_000.tar.gz".to_owned(), h("w")),
            ("layer_001.tar.gz".to_owned(), h("c")),
            ("layer_002.tar.gz".to_owned(), h("l")),
        ])
    );
    assert_eq!(
        hexes(&ours),
        BTreeMap::from([
            ("LICENSE".to_owned(), h("l")),
            ("config.json".to_owned(), h("c")),
            ("model.safetensors".to_owned(), h("w")),
        ])
    );
}

/// A one-layer base image (gzip layer, history, config) in the OCI layout at argv[1], as olot
/// needs one to put model layers on top of.
pub(crate) const BASE_IMAGE: &str = r#"
import gzip, hashlib, io, tarfile
lay = sys.argv[1]
os.makedirs(os.path.join(lay, "blobs", "sha256"), exist_ok=True)
def put(b):
    h = hashlib.sha256(b).hexdigest()
    with open(os.path.join(lay, "blobs", "sha256", h), "wb") as f:
        f.write(b)
    return "sha256:" + h, len(b)
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    data = b"base image\n"
    info = tarfile.TarInfo("etc/base-release")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
raw = raw.getvalue()
ld, ls = put(gzip.compress(raw, mtime=0))
config = {"architecture": "amd64", "os": "linux", "config": {}, "history": [{"created_by": "base"}],
          "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}
cd, cs = put(json.dumps(config).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ls}]}
md, ms = put(json.dumps(manifest).encode())
with open(os.path.join(lay, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms}]}, f)
with open(os.path.join(lay, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
out(md)
"#;

/// Tars made by Python's `tarfile` in every format, plain and gzip, with directories, links,
/// long and non-ASCII names, names inside and outside the prefix; each file in argv[1], and
/// rh's `_hash_tar_entries(blob, "/models/")` of each.
const PY_TARS: &str = r#"
import gzip, io, pathlib, tarfile
from model_signing._oci.manifest_parser import _hash_tar_entries
d = sys.argv[1]
def add(t, name, data=None, **kw):
    info = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(info, k, v)
    if data is None:
        t.addfile(info)
    else:
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
results = {}
for fmt_name, fmt in [("gnu", tarfile.GNU_FORMAT), ("pax", tarfile.PAX_FORMAT), ("ustar", tarfile.USTAR_FORMAT)]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as t:
        add(t, "models", type=tarfile.DIRTYPE)
        add(t, "models/a.txt", b"alpha")
        add(t, "models/empty", b"")
        add(t, "models/big.bin", bytes(range(256)) * 4000)
        add(t, "models/" + "long-directory-name/" * 4 + "x" * 60, b"long")
        if fmt != tarfile.USTAR_FORMAT:
            add(t, "models/ü/😀.txt", "non-ascii".encode())
        add(t, "models/link", type=tarfile.SYMTYPE, linkname="a.txt")
        add(t, "models/hard", type=tarfile.LNKTYPE, linkname="models/a.txt")
        add(t, "models/fifo", type=tarfile.FIFOTYPE)
        add(t, "other/outside.txt", b"outside the prefix")
        add(t, "./models/dot.txt", b"dot")
        add(t, "models/sub//double.txt", b"double")
    raw = raw.getvalue()
    for comp, blob in [("tar", raw), ("tar.gz", gzip.compress(raw, mtime=0))]:
        name = fmt_name + "." + comp
        with open(os.path.join(d, name), "wb") as f:
            f.write(blob)
        # The names as rh's manifest holds them (FileManifestItem makes them PurePosixPaths).
        results[name] = [[str(pathlib.PurePosixPath(p)), dg.digest_hex] for p, dg in _hash_tar_entries(blob, "/models/")]
out(results)
"#;

#[test]
fn tar_entries_hash_as_rh_model_signing_hashes_them() {
    let Some(python) = oci_python() else { return };
    let tmp = tempdir();
    let want = py(&python, PY_TARS, &[tmp.path()]);
    let want = want.as_object().unwrap();
    assert_eq!(want.len(), 6);
    for (name, rh) in want {
        let compression = if name.contains(".tar.gz") {
            untar::Compression::Gzip
        } else {
            untar::Compression::None
        };
        let blob = fs_err::read(tmp.path().join(name)).unwrap();
        let ours = untar::hash_entries(&blob[..], compression, MODELCAR_PREFIX, &Limits::default()).unwrap();
        let ours: Vec<Value> = ours.iter().map(|f| json!([f.path, &f.digest[7..]])).collect();
        assert_eq!(&json!(ours), rh, "{name}");
        // Extraction writes exactly those files, with those bytes.
        let dest = tmp.path().join(format!("x-{name}"));
        fs_err::create_dir(&dest).unwrap();
        let placed =
            untar::extract(&blob[..], compression, MODELCAR_PREFIX, &dest, &Limits::default()).unwrap();
        for f in &placed {
            assert_eq!(
                digest_of(&fs_err::read(dest.join(&f.path)).unwrap()),
                f.digest,
                "{name}: {}",
                f.path
            );
        }
        assert_eq!(testhub::models::files_in(&dest).len(), placed.len(), "{name}");
    }
}
