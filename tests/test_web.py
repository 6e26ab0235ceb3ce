"""``memjit web``: the JSON API against a real anvil on which the demo ran rounds (and a second
deployment, with the TEST-ONLY hash verifier, where a worker was terminated by a call), and the
page in a real headless Chromium driven by Playwright, staking through an injected EIP-1193
wallet that signs with a devnet key (tests/browser_wallet.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from protocol.chain import MemJitContracts, RoundCommitments, TxResult, WorkerStatus, worker_id
from protocol.chain.anvil import AnvilProcess, find_anvil, start_anvil
from protocol.chain.connection import advance_time, connect
from protocol.chain.deployment import DeployConfig, deploy_memjit, load_deployment
from protocol.chain.signers import Signer, devnet_signer
from protocol.chain.types import Termination
from protocol.demo import example_path, run_demo
from protocol.errors import ConfigError
from protocol.runtime import WorkerRuntime
from protocol.settings import Settings
from protocol.toolchain.sources import build_file
from protocol.web import ChainView, WebServer, WebState
from tests.browser_wallet import INIT_SCRIPT, BrowserWallet
from tests.conftest import TEST_CONFIG, need
from tests.helpers import ROOT, SWT, assert_one_line_error, deploy_hash_verifier, fake_proof, memjit

#: Enough for the demo's failing workers to collect the three strikes that terminate them (in
#: round 3), and for a round that explores some workers and not others (round 4).
DEMO_ROUNDS = 4
#: Where Debian's chromium package puts the browser; the /usr/bin wrapper adds flags we
#: do not want. MEMJIT_CHROMIUM overrides.
CHROMIUM_PATHS = ("/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium")
UI_TIMEOUT_MS = 30_000


@dataclass
class Site:
    """A deployment that has run demo rounds on its own anvil, served by a web server."""

    anvil: AnvilProcess
    settings: Settings
    mj: MemJitContracts
    server: WebServer
    summary: dict[str, Any]
    #: Worker modules in the server's store that nobody registered, one per test that
    #: registers or tries to (a CID has one registrant, ever).
    module_cids: tuple[str, ...]
    text_cid: str  # content in the store that is not a WebAssembly module
    taken_cid: str  # a worker module in the store that the demo registered

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def module_cid(self) -> str:
        return self.module_cids[0]

    def get(self, path: str, host: str | None = None) -> tuple[int, dict[str, Any]]:
        return get_json(self.url + path, host)

    def funded(self, index: int, swt: int = 1_000) -> Signer:
        signer = devnet_signer(self.mj.chain, index)
        if swt:
            self.mj.token.faucet(signer, swt * SWT)
        return signer


def get_json(url: str, host: str | None = None) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of a GET of ``url`` (with that Host header, if given)."""
    request = urllib.request.Request(url)
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def serve(state: WebState) -> WebServer:
    server = WebServer(("127.0.0.1", 0), state)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    try:
        find_anvil()
    except ConfigError as exc:
        need(str(exc))
    anvil = start_anvil()  # our own: the wallet tests change its state for good
    home = tmp_path_factory.mktemp("web-home")
    settings = Settings.load(home=home)
    chain = connect(anvil.url)
    summary = run_demo(chain, settings, home / "demo", DEMO_ROUNDS, seed=7).to_json()
    mj = MemJitContracts(chain, load_deployment(settings.deployments_file, chain))
    runtime = WorkerRuntime.from_settings(settings)
    # Modules nobody registered: the demo's own CIDs are taken.
    fresh = ("hostile/trap.wat", "hostile/flood.wat", "basic/echo.wat")
    module_cids = tuple(runtime.publish(build_file(example_path(path))) for path in fresh)
    text_cid = runtime.store.put(b"a README, not a worker\n")
    taken_cid = runtime.publish(build_file(example_path("hostile/random.wat")))
    server = serve(WebState(ChainView(mj), runtime))
    yield Site(anvil, settings, mj, server, summary, module_cids, text_cid, taken_cid)
    server.shutdown()
    server.server_close()
    runtime.close()
    anvil.stop()


# -- the API ---------------------------------------------------------------------------------


def test_dashboard_reports_the_rounds_the_demo_settled(site: Site):
    status, board = site.get("/api/dashboard")
    assert status == 200
    mj = site.mj
    by_id = {w["id"]: w for w in board["workers"]}
    assert len(site.summary["leaderboard"]) == 8  # other tests may have registered more since
    for row in site.summary["leaderboard"]:
        shown = by_id[row["id"]]
        assert shown["usefulness"] == row["usefulness"]
        assert shown["stake_wei"] == row["stake_wei"]
        assert shown["rewards_wei"] == row["rewards_wei"]
        assert shown["slashed_wei"] == row["slashed_wei"]
        assert shown["status"] == row["status"]
    active = [w["usefulness"] for w in board["workers"] if w["status"] == "active"]
    assert active == sorted(active, reverse=True)  # best first

    rounds = board["rounds"]
    assert [r["id"] for r in rounds] == sorted(
        (r["round_id"] for r in site.summary["rounds"]), reverse=True
    )
    for shown, played in zip(rounds, reversed(site.summary["rounds"]), strict=True):
        assert shown["status"] == "closed"
        assert [w["id"] for w in shown["workers"]] == [w["id"] for w in played["workers"]]
        assert [w["score"] for w in shown["workers"]] == [w["score"] for w in played["workers"]]
        assert [w["reward_wei"] for w in shown["workers"]] == [
            w["reward_wei"] for w in played["workers"]
        ]
        assert [w["slashed_wei"] for w in shown["workers"]] == [
            w["slashed_wei"] for w in played["workers"]
        ]
        for tx in (shown["open_tx"], shown["close_tx"]):
            receipt = mj.chain.w3.eth.get_transaction_receipt(tx)
            assert receipt["status"] == 1 and receipt["to"] == mj.rounds.address

    supply = board["supply"]
    assert int(supply["total_wei"]) == mj.token.total_supply()
    assert int(supply["staked_wei"]) == mj.registry.total_staked()
    assert int(supply["minted_wei"]) == sum(int(w["rewards_wei"]) for w in board["workers"]) > 0
    assert int(supply["slashed_wei"]) == sum(int(w["slashed_wei"]) for w in board["workers"]) > 0

    (population,) = board["populations"]  # every worker is a digit classifier
    scores = [
        w["usefulness"] for w in board["workers"] if w["rounds_scored"] and w["status"] == "active"
    ]
    mean = sum(scores) / len(scores)
    sd = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5
    assert population["capability"] == "digits-8x8"
    assert population["count"] == len(scores)
    assert population["mean"] == pytest.approx(mean, abs=1e-3)
    assert population["sd"] == pytest.approx(sd, abs=1e-3)
    assert population["cutoff"] == pytest.approx(mean - 3 * sd, abs=1e-3)
    assert population["rule_active"] is False  # 5 scored workers, the rule needs 16
    params = board["params"]
    assert (params["strike_limit"], params["termination_bps"]) == (3, 2_500)


def test_dashboard_marks_the_workers_each_round_explored_as_the_engine_chose_them(site: Site):
    """A seat is an exploration pick if its worker was learning when the round opened, which
    the dashboard works out from the events alone; the engine said whom it explored."""
    rounds = site.get("/api/dashboard")[1]["rounds"]
    for shown, played in zip(rounds, reversed(site.summary["rounds"]), strict=True):
        assert [w["explored"] for w in shown["workers"]] == [
            w["explored"] for w in played["workers"]
        ], played["round_id"]
    first, last = rounds[-1], rounds[0]
    assert all(w["explored"] for w in first["workers"])  # nobody has a score yet
    assert {w["explored"] for w in last["workers"]} == {True, False}  # some settled by now


def test_dashboard_names_why_each_worker_was_terminated(site: Site):
    board = site.get("/api/dashboard")[1]
    operator = devnet_signer(site.mj.chain, 0).address
    seats = {(r["id"], w["id"]): w for r in board["rounds"] for w in r["workers"]}
    close_txs = {r["id"]: r["close_tx"] for r in board["rounds"]}
    terminated = {key for key, seat in seats.items() if seat["eliminated"]}
    assert terminated == {
        (r["round_id"], w["id"])
        for r in site.summary["rounds"]
        for w in r["workers"]
        if w["terminated"]
    }
    assert len(terminated) == 2  # the random guesser and the infinite loop, in round 3
    by_id = {w["id"]: w for w in board["workers"]}
    for round_id, wid in terminated:
        assert seats[round_id, wid]["eliminated"] == "strikes"  # three rounds under the floor
        worker = by_id[wid]
        assert (worker["status"], worker["strikes"]) == ("terminated", 3)
        # The round's closer is the caller: it was paid the bounty, half the slash.
        termination = worker["termination"]
        assert termination["reason"] == "strikes"
        assert (termination["round_id"], termination["by"]) == (round_id, operator)
        assert termination["tx"] == close_txs[round_id]
        assert int(termination["bounty_wei"]) == int(termination["slashed_wei"]) // 2 > 0
    assert {(t["round_id"], t["id"]) for t in board["terminations"]} == terminated
    for worker in board["workers"]:
        info = site.mj.registry.worker(bytes.fromhex(worker["id"].removeprefix("0x")))
        assert worker["strikes"] == info.strikes
        if worker["status"] != "terminated":
            assert worker["termination"] is None


# -- a termination by a call ----------------------------------------------------------------

CAPABILITY = "digits-8x8"
COMMITTED = RoundCommitments(1, 2, 3)


@dataclass
class Called:
    """A deployment with the TEST-ONLY hash verifier, on the site's anvil, where the 3σ rule
    caught a worker that no round held, and someone called ``terminate`` for the bounty."""

    mj: MemJitContracts
    server: WebServer
    worker: bytes
    hunter: Signer
    bounty_wei: int
    tx: TxResult
    #: The dashboard just before the call.
    before: dict[str, Any]

    @property
    def url(self) -> str:
        return self.server.url

    def dashboard(self) -> dict[str, Any]:
        status, board = get_json(self.url + "/api/dashboard")
        assert status == 200
        return board


def play_round(mj: MemJitContracts, operator: Signer, ids: list[bytes], scores: list[int]) -> None:
    """Opens and closes a round over ``ids`` with ``scores``, "proved" to the hash verifier."""
    round_id = mj.rounds.open(operator, ids, COMMITTED.request, COMMITTED.evaluation).round_id
    signals = mj.rounds.public_signals(round_id, COMMITTED, 0, scores)
    mj.rounds.close(operator, round_id, ids, COMMITTED, 0, scores, fake_proof(signals), gas=None)


@pytest.fixture(scope="module")
def called(site: Site) -> Iterator[Called]:
    chain = site.mj.chain
    operator, owner, hunter = (devnet_signer(chain, i) for i in (0, 1, 2))
    verifier = deploy_hash_verifier(chain, operator)
    config = replace(TEST_CONFIG, min_population=11)  # the least the oracle takes
    deployed = deploy_memjit(chain, operator, config, verifier=verifier.address).deployment
    mj = MemJitContracts(chain, deployed)
    mj.token.faucet(owner, 3_000 * SWT)
    register = mj.registry.register
    ids = [register(owner, f"bafk-called-{i}", 200 * SWT, CAPABILITY)[0] for i in range(11)]
    other, _ = register(owner, "bafk-called-text", 200 * SWT, "sentiment")
    # The first worker scores 0 while its capability is too small for the 3σ rule; then the
    # others' rounds fill the population and raise its mean, leaving the first far below it
    # in no round: only a terminate() call can end it.
    play_round(mj, operator, ids[:5], [0, 90, 90, 90, 90])
    for chunk in (ids[5:10], ids[10:], ids[1:6], ids[6:]):
        play_round(mj, operator, chunk, [90] * len(chunk))
    play_round(mj, operator, [other], [50])
    assert mj.rounds.terminable(ids[0]) == Termination.OUTLIER
    view = ChainView(mj)
    before = view.dashboard().to_json()
    bounty, tx = mj.rounds.terminate(hunter, ids[0])
    server = serve(WebState(view, site.server.state.runtime))
    yield Called(mj, server, ids[0], hunter, bounty, tx, before)
    server.shutdown()
    server.server_close()


def test_dashboard_lists_a_terminate_call_with_its_caller_and_bounty(called: Called):
    board = called.dashboard()
    # Its stake after one round's slash under the floor, then terminationBps of it.
    slashed = (200 * SWT - 200 * SWT * TEST_CONFIG.slash_bps // 10_000) * 2_500 // 10_000
    (termination,) = board["terminations"]
    assert termination == {
        "id": "0x" + called.worker.hex(),
        "reason": "outlier",
        "round_id": None,  # no round: a call
        "by": called.hunter.address,
        "usefulness": 0.0,  # one 0, from its own score: nobody was scored before it
        "slashed_wei": str(slashed),
        "bounty_wei": str(slashed // 2),
        "block": called.tx.block_number,
        "tx": called.tx.tx_hash,
    }
    assert called.bounty_wei == slashed // 2
    worker = next(w for w in board["workers"] if w["id"] == termination["id"])
    assert (worker["status"], worker["termination"]) == ("terminated", termination)
    assert not any(seat["eliminated"] for r in board["rounds"] for seat in r["workers"])


def test_dashboard_reports_the_population_of_each_capability(called: Called):
    def lines(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {line["capability"]: line for line in board["populations"]}

    before, after = lines(called.before), lines(called.dashboard())
    assert list(after) == ["digits-8x8", "sentiment"]
    for capability, line in after.items():
        stats = called.mj.registry.population_stats(capability)
        assert line["count"] == stats.count
        assert line["mean"] == pytest.approx(stats.total / stats.count / 100, abs=1e-3)
    # The 3σ rule was live with 11 scored workers; the terminated one has left the population.
    assert (before["digits-8x8"]["count"], before["digits-8x8"]["rule_active"]) == (11, True)
    assert (after["digits-8x8"]["count"], after["digits-8x8"]["rule_active"]) == (10, False)
    assert after["sentiment"] == {
        "capability": "sentiment",
        "count": 1,
        "mean": 50.0,
        "sd": 0.0,
        "cutoff": 50.0,
        "rule_active": False,
    }


def test_account_lists_balance_and_owned_workers(site: Site):
    first = site.get("/api/dashboard")[1]["workers"][0]
    status, account = site.get("/api/account/" + first["owner"].lower())
    assert status == 200
    assert account["address"] == first["owner"]
    assert int(account["balance_wei"]) == site.mj.token.balance_of(first["owner"])
    assert first["id"] in [w["id"] for w in account["workers"]]
    assert all(w["owner"] == first["owner"] for w in account["workers"])


def test_api_names_bad_input(site: Site):
    assert site.get("/api/modules/" + site.module_cid) == (
        200,
        {"cid": site.module_cid, "size_bytes": len(build_file(example_path("hostile/trap.wat")))},
    )
    status, body = site.get("/api/modules/" + site.text_cid)
    assert (status, body["kind"]) == (422, "InvalidModule")
    assert "is not a worker module" in body["error"]
    unknown = site.summary["leaderboard"][0]["cid"]  # published in the demo's own store only
    status, body = site.get("/api/modules/" + unknown)
    assert (status, body["kind"]) == (404, "ContentNotFound")
    assert "publish it first" in body["error"]
    assert site.get("/api/modules/bafk%2F..")[0] == 400
    assert site.get("/api/account/0x1234")[0] == 400
    assert site.get("/api/nothing")[0] == 404
    status, body = site.get("/api/config", host="attacker.example:80")
    assert (status, body["kind"]) == (403, "ForbiddenHost")


def test_server_listening_beyond_loopback_accepts_any_host_name(site: Site):
    server = WebServer(("0.0.0.0", 0), site.server.state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{server.server_address[1]}/api/config")
        request.add_header("Host", "dashboard.example")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.loads(response.read())["chain"]["id"] == site.mj.chain.chain_id
    finally:
        server.shutdown()
        server.server_close()


def test_api_answers_503_once_the_chain_is_gone_and_keeps_serving(tmp_path: Path):
    try:
        find_anvil()
    except ConfigError as exc:
        need(str(exc))
    anvil = start_anvil()
    chain = connect(anvil.url)
    deployment = deploy_memjit(chain, devnet_signer(chain, 0), TEST_CONFIG).deployment
    runtime = WorkerRuntime.from_settings(Settings.load(home=tmp_path))
    server = serve(WebState(ChainView(MemJitContracts(chain, deployment)), runtime))
    try:
        assert urllib.request.urlopen(server.url + "/api/dashboard").status == 200
        anvil.stop()
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(server.url + "/api/dashboard")
        assert failed.value.code == 503
        body = json.loads(failed.value.read())
        assert "RPC endpoint" in body["error"] and "\n" not in body["error"]
        assert urllib.request.urlopen(server.url + "/").status == 200  # still serving
    finally:
        server.shutdown()
        server.server_close()
        runtime.close()
        anvil.stop()


def start_dashboard(*args: str, env: dict[str, str] | None = None) -> tuple[Any, str]:
    """Runs ``memjit ARGS`` until it prints the dashboard's ready line; the process and the
    page's URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "protocol.cli.main", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:  # what the command says first, then the dashboard's address
        if "dashboard of" in line:
            return process, line.rsplit(" on ", 1)[1].strip()
    process.wait()
    pytest.fail("no dashboard line: " + (process.stderr.read() if process.stderr else ""))


def test_web_command_serves_the_recorded_deployment_until_sigterm(site: Site):
    env = {**os.environ, "MEMJIT_HOME": str(site.settings.home)}
    process, url = start_dashboard("web", "--rpc", site.anvil.url, "--port", "0", env=env)
    try:
        with urllib.request.urlopen(url + "/api/config", timeout=30) as response:
            config = json.loads(response.read())
        assert config["chain"]["id"] == 31337
        assert config["contracts"]["WorkerRegistry"] == site.mj.registry.address
        with urllib.request.urlopen(url + "/", timeout=30) as response:
            assert b"<script" in response.read()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert "dashboard stopped" in process.stdout.read()
    finally:
        process.kill()
        process.wait()


def test_web_command_fails_in_one_line_without_a_deployment_or_a_chain(site: Site):
    assert_one_line_error(memjit("web", "--rpc", site.anvil.url), "memjit deploy")
    assert_one_line_error(memjit("web", "--rpc", "http://127.0.0.1:9"), "cannot reach")


def test_demo_serves_the_dashboard_of_its_in_process_chain(browser: Any):
    from playwright.sync_api import expect

    process, url = start_dashboard("demo", "--rounds", "1", "--seed", "2", "--web", "0")
    try:
        with urllib.request.urlopen(url + "/api/config", timeout=30) as response:
            assert json.loads(response.read())["chain"]["wallet_reachable"] is False
        with urllib.request.urlopen(url + "/api/dashboard", timeout=30) as response:
            board = json.loads(response.read())
        assert len(board["workers"]) == 8 and len(board["rounds"]) == 1
        page = browser.new_page()
        page.goto(url)
        expect(page.locator("#rounds tr[data-round-id]")).to_have_count(1)
        expect(page.locator("#wallet-message")).to_contain_text("Wallets cannot reach this chain")
        page.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()


BUNDLE = "protocol/web/static/app.js"


def sources_hash() -> str:
    """The hash web/build.mjs stamps into the bundle: its sources, its build script and
    config, and the versions of viem and esbuild (from package-lock.json)."""
    files = sorted(
        [p for p in (ROOT / "web" / "src").rglob("*") if p.is_file()]
        + [ROOT / "web" / "build.mjs", ROOT / "web" / "tsconfig.json"],
        key=lambda p: p.relative_to(ROOT).as_posix(),
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    packages = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name in ("viem", "esbuild"):
        digest.update(f"{name}@{packages['node_modules/' + name]['version']}\0".encode())
    return digest.hexdigest()


def test_committed_page_bundle_is_current():
    """protocol/web/static/app.js records a hash of its sources (web/); no Node needed."""
    header = (ROOT / BUNDLE).read_text(encoding="utf-8").split("\n", 1)[0]
    stamped = re.search(r"sources-sha256: ([0-9a-f]{64})", header)
    assert stamped is not None, header
    assert stamped.group(1) == sources_hash(), "the bundle is stale: run npm run build:web"


ABIS = "web/src/abis.ts"


def abis_hash() -> str:
    """The hash web/abis.mjs stamps into web/src/abis.ts: sha256 of the canonical JSON of the
    three contracts' ABIs, as their artifacts hold them."""
    abis = {
        name: json.loads((ROOT / "protocol" / "artifacts" / f"{name}.json").read_bytes())["abi"]
        for name in ("SWT", "WorkerRegistry", "UtilityOracle")
    }
    canonical = json.dumps(abis, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_committed_page_abis_are_current():
    """web/src/abis.ts records a hash of the artifacts' ABIs it was generated from; no Node
    needed."""
    stamped = re.search(r"^// abis-sha256: ([0-9a-f]{64})$", (ROOT / ABIS).read_text("utf-8"), re.M)
    assert stamped is not None, f"{ABIS} has no abis-sha256 line"
    assert stamped.group(1) == abis_hash(), f"{ABIS} is stale: run npm run build:web"


@pytest.mark.node
def test_page_bundle_rebuilds_byte_for_byte():
    if shutil.which("node") is None or not (ROOT / "node_modules" / "esbuild").exists():
        need("node and npm install (esbuild)")
    result = subprocess.run(
        ["node", "web/build.mjs", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the page in a browser -------------------------------------------------------------------


def find_chromium() -> str | None:
    wanted = os.environ.get("MEMJIT_CHROMIUM")
    if wanted:
        return wanted
    return next((p for p in CHROMIUM_PATHS if Path(p).exists()), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("playwright (pip install -e '.[test]')")
    executable = find_chromium()
    if executable is None:
        need("Debian's chromium (apt-get install chromium chromium-headless-shell)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable)
        yield chromium
        chromium.close()


OpenPage = Callable[..., Any]
#: Chromium logs every 4xx answer to a fetch as a console error; the API's refusals (a CID
#: that is not a worker module) are expected in the bad-input test, and the page shows them.
_REFUSAL = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")


def refusal(text: str) -> bool:
    return bool(_REFUSAL.match(text))


@pytest.fixture
def open_page(browser: Any, site: Site) -> Iterator[OpenPage]:
    """Opens the dashboard (the site's, or the one at ``url``) in a fresh browser profile, with
    ``wallet`` injected if given; fails the test on any console error or uncaught exception in
    the page."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(wallet: BrowserWallet | None = None, url: str | None = None) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        if wallet is not None:
            context.expose_function("__walletRequest", wallet.request)
            context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.on(
            "console", lambda m: m.type == "error" and not refusal(m.text) and errors.append(m.text)
        )
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url or site.url)
        page.wait_for_selector("#leaderboard tr[data-worker-id]")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, errors


def wallet_for(
    site: Site, signer: Signer, chain_id: int | None = None, **options: Any
) -> BrowserWallet:
    return BrowserWallet(
        site.anvil.url, signer.account, chain_id or site.mj.chain.chain_id, **options
    )


def message(page: Any) -> Any:
    return page.locator("#wallet-message")


def register_from_page(page: Any, cid: str, stake: str) -> None:
    page.fill("#register-cid", cid)
    page.fill("#register-stake", stake)
    page.click("#register-submit")


def connect_wallet(page: Any, address: str) -> None:
    from playwright.sync_api import expect

    page.click("#connect")
    expect(page.locator("#account-address")).to_have_text(address)


def test_page_shows_leaderboard_rounds_score_plot_and_supply(site: Site, open_page: OpenPage):
    from playwright.sync_api import expect

    board = site.get("/api/dashboard")[1]
    page = open_page()
    rows = page.locator("#leaderboard tr[data-worker-id]")
    expect(rows).to_have_count(len(board["workers"]))
    best = board["workers"][0]
    assert rows.first.get_attribute("data-worker-id") == best["id"]
    expect(rows.first.locator(".status")).to_contain_text("active")
    expect(rows.first.locator(".usefulness")).to_have_text(f"{best['usefulness']:.1f}")

    plot = page.locator("#score-plot")
    expect(plot.locator("circle.worker-dot")).to_have_count(board["populations"][0]["count"])
    expect(plot.locator("#mean-line")).to_have_count(1)
    expect(plot.locator("#cutoff-line")).to_have_count(1)
    expect(plot).to_contain_text("3σ")

    rounds = page.locator("#rounds tr[data-round-id]")
    expect(rounds).to_have_count(DEMO_ROUNDS)
    newest = board["rounds"][0]
    assert rounds.first.get_attribute("data-round-id") == str(newest["id"])
    for cell in ("open-tx", "close-tx"):
        html = rounds.first.locator("." + cell).evaluate("cell => cell.outerHTML")
        assert f'title="{newest[cell.replace("-", "_")]}"' in html
    expect(page.locator("#supply-total")).to_contain_text("SWT")

    expect(message(page)).to_contain_text("No wallet found")
    page.click("#connect")
    expect(message(page)).to_contain_text("No wallet found")


def test_page_tags_exploration_picks_strikes_and_terminations(site: Site, open_page: OpenPage):
    from playwright.sync_api import expect

    board = site.get("/api/dashboard")[1]
    page = open_page()
    for shown in board["rounds"]:
        row = page.locator(f'#rounds tr[data-round-id="{shown["id"]}"]')
        for seat in shown["workers"]:
            entry = row.locator(f'.round-worker[data-worker-id="{seat["id"]}"]')
            expect(entry.locator(".mark-explored")).to_have_count(1 if seat["explored"] else 0)
            if seat["eliminated"]:
                expect(entry.locator(".mark-eliminated")).to_have_text("out: strikes")
            else:
                expect(entry.locator(".mark-eliminated")).to_have_count(0)
    newest = page.locator("#rounds tr[data-round-id]").first
    explored = sum(seat["explored"] for seat in board["rounds"][0]["workers"])
    expect(newest.locator(".mark-explored")).to_have_count(explored)
    assert 0 < explored < len(board["rounds"][0]["workers"])

    for worker in board["workers"]:
        row = page.locator(f'#leaderboard tr[data-worker-id="{worker["id"]}"]')
        expect(row.locator(".strikes")).to_have_text(f"{worker['strikes']}/3")
        if worker["termination"] is not None:
            expect(row.locator(".status")).to_have_text("terminatedstrikes")
    terminations = page.locator("#terminations tr[data-worker-id]")
    expect(terminations).to_have_count(2)
    expect(terminations.locator(".reason")).to_have_text(["strikes", "strikes"])
    expect(terminations.locator(".where")).to_have_text(["close of round #3"] * 2)
    expect(page.locator("#params")).to_contain_text("Strike limit3 strikes")
    expect(page.locator("#params")).to_contain_text("Termination slash25%")


def test_page_shows_populations_per_capability_and_a_terminate_call(
    called: Called, open_page: OpenPage
):
    from playwright.sync_api import expect

    page = open_page(url=called.url)
    populations = page.locator("#populations tr[data-capability]")
    expect(populations).to_have_count(2)
    digits = page.locator('#populations tr[data-capability="digits-8x8"]')
    expect(digits.locator(".count")).to_have_text("10")
    expect(digits.locator(".rule")).to_have_text("from 11")
    expect(page.locator('#populations tr[data-capability="sentiment"] .mean')).to_have_text("50.0")

    row = page.locator("#terminations tr[data-worker-id]")
    expect(row).to_have_count(1)
    expect(row.locator(".reason")).to_have_text("outlier")
    expect(row.locator(".where")).to_have_text("terminate() call")
    expect(row.locator(".by .mono")).to_have_attribute("title", called.hunter.address)
    expect(row.locator(".bounty")).to_have_text("22.5 SWT")
    worker = page.locator(f'#leaderboard tr[data-worker-id="0x{called.worker.hex()}"]')
    expect(worker.locator(".status")).to_have_text("terminatedoutlier")
    expect(worker.locator(".status .tag")).to_have_attribute(
        "title", re.compile(r"^Terminated by a terminate\(\) call from " + called.hunter.address)
    )

    # The plot shows one capability at a time: the largest, then the one picked.
    plot = page.locator("#score-plot")
    expect(plot.locator("circle.worker-dot")).to_have_count(10)
    page.select_option("#plot-capability", "sentiment")
    expect(plot.locator("circle.worker-dot")).to_have_count(1)
    expect(plot).to_contain_text("usefulness of sentiment workers")


def test_page_shows_strings_from_the_chain_as_text(site: Site, open_page: OpenPage):
    """Anyone can register any CID string: the page must never interpret it as markup."""
    from playwright.sync_api import expect

    hostile = "<img src=x onerror=window.__pwned=1>"
    wid, _ = site.mj.registry.register(site.funded(9), hostile, 100 * SWT, "digits-8x8")
    page = open_page()
    row = page.locator(f'#leaderboard tr[data-worker-id="0x{wid.hex()}"]')
    expect(row).to_have_count(1)
    expect(row.locator(".worker")).to_contain_text("<img")
    assert row.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_wallet_registers_a_worker_with_one_permit_and_one_transaction(
    site: Site, open_page: OpenPage
):
    from playwright.sync_api import expect

    owner = site.funded(5)
    wallet = wallet_for(site, owner)
    page = open_page(wallet)
    connect_wallet(page, owner.address)
    before = site.mj.token.balance_of(owner.address)
    register_from_page(page, site.module_cid, "150")
    expect(message(page)).to_contain_text("Registered worker")
    assert "ok" in (message(page).get_attribute("class") or "")

    wid = worker_id(owner.address, site.module_cid)
    info = site.mj.registry.worker(wid)
    assert (info.status, info.stake, info.owner) == (WorkerStatus.ACTIVE, 150 * SWT, owner.address)
    assert info.cid == site.module_cid and info.capability == "digits-8x8"
    assert site.mj.token.balance_of(owner.address) == before - 150 * SWT
    assert wallet.signatures() == 1 and len(wallet.sent) == 1  # one permit, one transaction

    row = page.locator(f'#leaderboard tr[data-worker-id="0x{wid.hex()}"]')
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\bmine\b"))
    expect(page.locator(f'#account-workers tr[data-worker-id="0x{wid.hex()}"]')).to_have_count(1)
    if os.environ.get("MEMJIT_SCREENSHOT"):  # the README's picture: see docs/dashboard.png
        page.screenshot(path=os.environ["MEMJIT_SCREENSHOT"], full_page=True)

    other = devnet_signer(site.mj.chain, 8)  # the user picks another account in the wallet
    wallet.account = other.account
    page.evaluate("address => window.__walletEmit('accountsChanged', [address])", other.address)
    expect(page.locator("#account-address")).to_have_text(other.address)
    expect(page.locator("#account-workers tr[data-worker-id]")).to_have_count(0)
    expect(row).not_to_have_class(re.compile(r"\bmine\b"))


def test_wallet_adds_stake_exits_and_withdraws(site: Site, open_page: OpenPage):
    from playwright.sync_api import expect

    owner = site.funded(6)
    wid, _ = site.mj.registry.register(owner, site.module_cids[1], 120 * SWT, "digits-8x8")
    wallet = wallet_for(site, owner)
    page = open_page(wallet)
    connect_wallet(page, owner.address)
    mine = page.locator(f'#account-workers tr[data-worker-id="0x{wid.hex()}"]')

    mine.locator("input.stake-amount").fill("30.5")
    mine.locator("button.add-stake").click()
    expect(message(page)).to_contain_text("Added 30.5 SWT")
    assert site.mj.registry.worker(wid).stake == 150_500 * SWT // 1000

    mine.locator("button.exit").click()
    expect(message(page)).to_contain_text("is exiting")
    assert site.mj.registry.worker(wid).status == WorkerStatus.EXITING
    expect(mine.locator("button.withdraw")).to_be_disabled()

    advance_time(site.mj.chain, DeployConfig().unbonding_delay_s + 60)  # the demo's deployment
    before = site.mj.token.balance_of(owner.address)
    expect(mine.locator("button.withdraw")).to_be_enabled()
    mine.locator("button.withdraw").click()
    expect(message(page)).to_contain_text("Withdrew 150.5 SWT")
    assert site.mj.registry.worker(wid).status == WorkerStatus.WITHDRAWN
    assert site.mj.token.balance_of(owner.address) == before + 150_500 * SWT // 1000
    assert len(wallet.sent) == 3 and wallet.signatures() == 1


def test_bad_input_shows_a_message_and_sends_nothing(site: Site, open_page: OpenPage):
    from playwright.sync_api import expect

    owner = site.funded(7, swt=200)
    wallet = wallet_for(site, owner, chain_id=1)
    page = open_page(wallet)
    nonce = site.mj.chain.w3.eth.get_transaction_count(owner.address)

    page.click("#connect")
    expect(message(page)).to_contain_text("Wrong network: your wallet is on chain 1")
    expect(page.locator("#register-submit")).to_be_disabled()
    page.click("#switch-chain")
    expect(page.locator("#account-address")).to_have_text(owner.address)
    assert wallet.chain_id == site.mj.chain.chain_id

    def refused(cid: str, stake: str, *needles: str) -> None:
        register_from_page(page, cid, stake)
        for needle in needles:
            expect(message(page)).to_contain_text(needle)
        assert "error" in (message(page).get_attribute("class") or "")

    refused(site.module_cids[2], "50", "minimum stake is 100")
    refused(site.module_cids[2], "250", "Not enough SWT: you have 200")
    refused(site.text_cid, "150", "is not a worker module")
    refused(site.summary["leaderboard"][0]["cid"], "150", "publish it first")
    refused(site.taken_cid, "150", "already registered, as worker")
    refused("", "150", "Enter the CID")
    refused(site.module_cids[2], "-3", "Enter the stake")
    assert wallet.signatures() == 0

    wallet.reject = {"eth_signTypedData_v4"}
    refused(site.module_cids[2], "150", "You rejected the signature request; nothing was sent.")
    wallet.reject = set()
    wallet.signer = devnet_signer(site.mj.chain, 9).account  # a permit signed by someone else
    refused(site.module_cids[2], "150", "ERC2612InvalidSigner")
    wallet.signer = None
    wallet.reject = {"eth_sendTransaction"}
    refused(site.module_cids[2], "150", "You rejected the transaction; nothing was sent.")

    assert wallet.sent == []
    assert site.mj.chain.w3.eth.get_transaction_count(owner.address) == nonce
    assert (
        site.mj.registry.worker(worker_id(owner.address, site.module_cids[2])).status
        == WorkerStatus.NONE
    )
    assert site.mj.token.balance_of(owner.address) == 200 * SWT
