"""The frameworks load what ``hubsign.snapshot_download`` returns: ``transformers`` builds a
config and a tokenizer from a verified snapshot with the hub gone and ``HF_HUB_OFFLINE=1``, and
``datasets.load_dataset`` reads a verified dataset snapshot. No torch: ``AutoConfig`` and
``AutoTokenizer`` need none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hubsign
from conftest import write_files
from test_hub import Hub, hub  # noqa: F401 (the local hub fixture, with stop())

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "sign", "##ed", "model"]


@pytest.fixture
def tiny_bert(tmp_path: Path, private_key: Path) -> Path:
    """A BERT config, its vocabulary and tokenizer config, signed."""
    config = {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": len(VOCAB), "hidden_size": 8,
        "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 32,
    }
    folder = write_files(tmp_path / "tiny-bert", {
        "config.json": json.dumps(config),
        "vocab.txt": "\n".join(VOCAB) + "\n",
        "tokenizer_config.json": json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": True,
                                             "model_max_length": 32}),
    })
    hubsign.sign(folder, private_key=private_key)
    return folder


def frameworks() -> None:
    """Imports the frameworks before a test turns offline: huggingface_hub (under them) reads
    ``HF_HUB_OFFLINE`` once, at import, and would stay offline for the tests that follow."""
    import datasets  # noqa: F401
    import transformers  # noqa: F401


def test_transformers_loads_a_verified_snapshot_offline(hub: Hub, hf_env: Path, tiny_bert: Path, public_key: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    frameworks()
    server = hub({"org/tiny-bert": tiny_bert}, env=False)
    path = hubsign.snapshot_download("org/tiny-bert", endpoint=server.endpoint, public_key=public_key)
    server.stop()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # Offline, the drop-in verifies the cached snapshot again and returns the same path.
    assert hubsign.snapshot_download("org/tiny-bert", public_key=public_key) == path
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(path)
    assert config.model_type == "bert"
    assert config.hidden_size == 8
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert tokenizer.tokenize("hello signed world") == ["hello", "sign", "##ed", "world"]
    assert tokenizer("hello model")["input_ids"] == [2, 5, 9, 3]


def test_datasets_loads_a_verified_dataset_snapshot(hub: Hub, hf_env: Path, tmp_path: Path, private_key: Path,
                                                    public_key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frameworks()
    data = write_files(tmp_path / "data", {
        "data/train.csv": "text,label\nhello,1\nworld,0\nsigned,1\n",
        "data/test.csv": "text,label\nmodel,0\n",
        "README.md": "---\nconfigs:\n- config_name: default\n  data_files:\n"
                     "  - split: train\n    path: data/train.csv\n  - split: test\n    path: data/test.csv\n---\n",
    })
    hubsign.sign(data, private_key=private_key)
    server = hub({"datasets/org/tiny-data": data}, env=False)
    path = hubsign.snapshot_download("org/tiny-data", repo_type="dataset", endpoint=server.endpoint,
                                     public_key=public_key)
    assert Path(path).relative_to(hf_env / "hub").parts[0] == "datasets--org--tiny-data"
    server.stop()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets

    ds = datasets.load_dataset(path, cache_dir=str(tmp_path / "datasets-cache"))
    assert sorted(ds) == ["test", "train"]
    assert ds["train"]["text"] == ["hello", "world", "signed"]
    assert ds["train"]["label"] == [1, 0, 1]
    assert ds["test"].num_rows == 1
