"""A witness served over HTTP cosigns the app's log through the publisher; bundles and pages carry it."""

from __future__ import annotations

import dataclasses
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.factories import Factory, event_body
from tests.helpers import build_migrated_app
from trace import ledger
from trace.cli_witness import _post
from trace.db import db
from trace.ledger.verify import EXIT_OK, EXIT_PROBLEMS, main
from trace.models import SigningKey, WitnessCosignature
from trace.services.signing.witnesses import latest_cosigned, publish_round
from trace.witness import WitnessApp, WitnessState


@pytest.fixture()
def witnessed(tmp_path: Path) -> Iterator[tuple]:
    """An SQLite app with one batch, and a witness serving on a free port that knows the app's log key."""
    app = build_migrated_app("sqlite", tmp_path / "app")
    with app.app_context():
        make = Factory(db.session)
        alice = make.actor()
        batch = make.batch(alice)
        log_key = db.session.scalar(sa.select(SigningKey).where(SigningKey.role == "log"))
        origin = app.extensions["trace.ledger"].origin
        verifier = ledger.parse_vkey(ledger.vkey(log_key.name, log_key.public_key))
        code, headers = batch.trace_code, alice.headers
    state = WitnessState(tmp_path / "witness", "w1.example/witness")
    server = make_server("127.0.0.1", 0, WitnessApp(state, {origin: [verifier]}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    cfg = app.extensions["trace.ledger"]
    app.extensions["trace.ledger"] = dataclasses.replace(cfg, witnesses=(state.vkey,), witness_quorum=1)
    app.config["TRACE"] = app.config["TRACE"].with_(witnesses=((state.vkey, url),))
    try:
        yield app, state, url, code, headers
    finally:
        server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def _publish(app) -> list:
    with app.app_context():
        outcomes = publish_round(db.session(), app.config["TRACE"].witnesses, _post)
        db.session.commit()
        return outcomes


def test_publisher_gets_cosignatures_and_bundles_carry_them(witnessed, tmp_path) -> None:
    app, state, url, code, headers = witnessed
    client = app.test_client()
    page = client.get(f"/t/{code}", headers={"Accept": "application/json"}).json
    assert page["verification"]["witness"]["configured"] and page["verification"]["witness"]["size"] is None
    [first] = _publish(app)
    assert first.status == "cosigned"
    assert _publish(app)[0].status == "current"  # nothing new: nothing sent
    r = client.post("/api/v1/events", json=event_body("planting", [], {"plot": "1号", "variety": "浙粉"})
                    | {"batches": [code]}, headers=headers)
    assert r.status_code == 201, r.json
    page = client.get(f"/t/{code}", headers={"Accept": "application/json"}).json
    assert page["verification"]["witness"]["covers"] is False  # the newest record waits for the next round
    [second] = _publish(app)
    assert second.status == "cosigned" and second.size > first.size
    with state.locked() as held:
        assert state.latest(held)[app.extensions["trace.ledger"].origin].size == second.size
    bundle = client.get(f"/api/v1/batches/{code}/audit-bundle", headers=headers).json
    assert "w1.example/witness" in bundle["cosigned"]["checkpoint"]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    with app.app_context():
        key = db.session.scalar(sa.select(SigningKey).where(SigningKey.role == "log"))
        log_vkey = ledger.vkey(key.name, key.public_key)
    assert main([str(path), "--log-key", log_vkey, "--witness", state.vkey], out=io.StringIO()) == EXIT_OK
    other = WitnessState(tmp_path / "other", "w2.example/witness").vkey
    assert main([str(path), "--log-key", log_vkey, "--witness", other], out=io.StringIO()) == EXIT_PROBLEMS
    with app.app_context():
        assert latest_cosigned(db.session(), (state.vkey,), 1).size == second.size


def test_a_bundle_proves_it_extends_a_checkpoint_the_user_kept(witnessed, tmp_path) -> None:
    app, state, url, code, headers = witnessed
    client = app.test_client()
    kept = client.get("/api/v1/log/checkpoint").get_data(as_text=True)
    size = int(kept.split("\n")[1])
    r = client.post("/api/v1/events", json=event_body("planting", [], {"plot": "1号", "variety": "浙粉"})
                    | {"batches": [code]}, headers=headers)
    assert r.status_code == 201
    (tmp_path / "kept.txt").write_text(kept)
    with app.app_context():
        key = db.session.scalar(sa.select(SigningKey).where(SigningKey.role == "log"))
        log_vkey = ledger.vkey(key.name, key.public_key)
    plain = client.get(f"/api/v1/batches/{code}/audit-bundle", headers=headers).json
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    out = io.StringIO()
    args = ["--log-key", log_vkey, "--checkpoint", str(tmp_path / "kept.txt")]
    assert main([str(tmp_path / "plain.json"), *args], out=out) == EXIT_PROBLEMS
    assert "[consistency-missing]" in out.getvalue() and f"?since={size}" in out.getvalue()
    proved = client.get(f"/api/v1/batches/{code}/audit-bundle?since={size}", headers=headers).json
    assert proved["consistency"]["old"] == size
    (tmp_path / "proved.json").write_text(json.dumps(proved))
    assert main([str(tmp_path / "proved.json"), *args], out=io.StringIO()) == EXIT_OK
    assert client.get(f"/api/v1/batches/{code}/audit-bundle?since=0", headers=headers).status_code == 422


def test_a_lost_answer_is_recovered_from_the_witness_size(witnessed) -> None:
    app, state, url, code, headers = witnessed
    [first] = _publish(app)
    with app.app_context():  # the cosignature was given but never stored here (killed before commit)
        db.session.execute(sa.delete(WitnessCosignature))
        db.session.commit()
    client = app.test_client()
    r = client.post("/api/v1/events", json=event_body("planting", [], {"plot": "1号", "variety": "浙粉"})
                    | {"batches": [code]}, headers=headers)
    assert r.status_code == 201
    [again] = _publish(app)  # old 0 → 409 with the witness's size → sent again with a proof from it
    assert again.status == "cosigned" and again.size > first.size


def test_witness_refuses_a_checkpoint_from_another_history(witnessed, tmp_path) -> None:
    app, state, url, code, headers = witnessed
    _publish(app)
    with state.locked() as held:
        size = state.latest(held)[app.extensions["trace.ledger"].origin].size
    with app.app_context():  # the log key signs a checkpoint of the same size with another root
        from trace.services.signing.keys import private_key

        key = db.session.scalar(sa.select(SigningKey).where(SigningKey.role == "log"))
        text = ledger.format_checkpoint(app.extensions["trace.ledger"].origin, size, b"\x07" * 32)
        note = ledger.sign_note(text, key.name, private_key(app.extensions["trace.ledger"], key))
    status, body = _post(f"{url}/add-checkpoint", f"old {size}\n\n{note}".encode())
    assert status == 422
    status, body = _post(f"{url}/add-checkpoint", f"old 1\n\n{note}".encode())
    assert (status, body) == (409, f"{size}\n")
