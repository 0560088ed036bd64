"""JupyterLab in a real browser: `make lab`'s server, the distribution's Chromium driven by
Playwright (it never downloads a browser). Runs 00.01, the 01.04 playground and the 08.06
dashboard as a person would (Run All Cells), fails on any error output, and saves screenshots
under build/browser/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

from scripts import kernel, lab

REPO = lab.REPO
SHOTS = REPO / "build" / "browser"
LABS = ("00_prerequisites", "01_prompt_engineering", "08_llmops")
RUN_TIMEOUT_S = 150  # one notebook, Run All Cells (about 10-35 s on an idle 2-core machine)
CHROMIUM = os.environ.get("WORKSHOP_CHROMIUM") or shutil.which("chromium") \
    or shutil.which("chromium-browser")
# what a user's shell has, not what the test targets add (the test kernel config, no bars)
NOT_FROM_A_USER = ("IPYTHONDIR", "TQDM_DISABLE", "WORKSHOP_MODE", "WORKSHOP_LOG_DIR",
                   "JPY_PARENT_PID", "PYTEST_CURRENT_TEST")

if not CHROMIUM:
    NO_CHROMIUM = ("browser test skipped: no Chromium found. Install the distribution's package "
                   "(Debian/Ubuntu: `sudo apt-get install chromium`; Fedora: `sudo dnf install "
                   "chromium`) or set WORKSHOP_CHROMIUM to a Chromium binary. Playwright is not "
                   "used to download one.")
    warnings.warn(NO_CHROMIUM, stacklevel=1)  # in the warnings summary, which -q still prints
    pytest.skip(NO_CHROMIUM, allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`make lab`'s JupyterLab on a copy of three labs (the browser saves notebooks it runs)."""
    root = tmp_path_factory.mktemp("lab")
    for name in LABS:
        shutil.copytree(REPO / name, root / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    kernel.ensure()  # what `make lab` does first
    news = root / "settings" / "@jupyterlab" / "apputils-extension"  # no "news?" pop-up
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {k: v for k, v in os.environ.items() if k not in NOT_FROM_A_USER}
    env.update(WORKSHOP_LOG_DIR=str(root / "logs"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"))
    port, token = _free_port(), secrets.token_hex(16)
    log = open(root / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        lab.command(root, ["--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
                           f"--IdentityProvider.token={token}"]),
        env=lab.environment(env), cwd=root, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/api/status?token={token}", proc, root / "jupyterlab.log")
        yield {"url": url, "token": token, "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(server):
    shutil.rmtree(SHOTS, ignore_errors=True)  # only this run's screenshots
    SHOTS.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        expect.set_options(timeout=30_000)  # a kernel starting on a loaded 2-core machine
        yield pg
        browser.close()


def test_lab_opens_on_the_first_notebook_with_this_clones_kernel(server, page):
    page.goto(f"{server['url']}/?token={server['token']}")
    page.wait_for_url(f"**/lab/tree/{lab.FIRST_NOTEBOOK}*")
    expect(_tab(page, Path(lab.FIRST_NOTEBOOK).name)).to_be_visible()
    specs = _api(server, "kernelspecs")["kernelspecs"]
    assert kernel.spec_name() in specs
    assert specs[kernel.spec_name()]["spec"]["env"]["PYTHONPATH"] == str(REPO)


def test_setup_notebook_runs_and_its_engine_link_opens_a_page(server, page):
    _open(page, server, lab.FIRST_NOTEBOOK)
    _menu(page, "Edit", "Clear Outputs of All Cells")
    first = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").first
    first.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")  # the setup cell alone: the notebook ends with teardown()
    expect(first.locator(".jp-InputPrompt")).to_have_text("[1]:")
    link = page.locator(".jp-OutputArea-output a[href^='http://127.0.0.1:']").first
    expect(link).to_be_visible()
    with page.context.expect_page() as opened:
        link.click()
    engine_page = opened.value
    engine_page.wait_for_load_state()
    expect(engine_page.locator("h1")).to_contain_text("Local Bedrock engine")
    engine_page.screenshot(path=SHOTS / "00_01_engine_link.png")
    engine_page.close()
    _run_all(page, server, lab.FIRST_NOTEBOOK, "00_01_setup_and_modes")


def test_playground_widgets_are_controls_that_answer_a_click(server, page):
    nb = "01_prompt_engineering/04_playground.ipynb"
    _open(page, server, nb)
    _run_all(page, server, nb, "01_04_playground")
    box = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator("button", has_text="Run")).first
    box.scroll_into_view_if_needed()
    for control in ("select", "textarea", ".widget-hslider", "input[type=text]"):
        expect(box.locator(control).first).to_be_visible()
    # the cell that drives it from code set maxTokens to 200: the slider keeps it
    max_tokens = box.locator(".widget-hslider").filter(has_text="maxTokens")
    expect(max_tokens.locator(".widget-readout")).to_have_text("200")
    _type_readout(page, max_tokens, "123")
    expect(max_tokens.locator(".widget-readout")).to_have_text("123")
    _assert_fits(page, box)
    result = box.locator(".widget-html").last
    box.locator("textarea").fill("How high can the Kite L1 blades cut grass?")
    box.locator("button", has_text="Run").click()  # answers in ~0.6 s idle; no timing asserted
    expect(result).to_contain_text("[local engine]", timeout=30_000)
    expect(result).to_contain_text("blades", timeout=30_000)
    box.screenshot(path=SHOTS / "01_04_playground_widget.png")


def test_dashboard_renders(server, page):
    nb = "08_llmops/06_operations_dashboard.ipynb"
    _open(page, server, nb)
    _run_all(page, server, nb, "08_06_operations_dashboard")
    panel = page.locator(".jp-NotebookPanel:visible")
    board = panel.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-dropdown")).first
    board.scroll_into_view_if_needed()
    expect(board.locator("select").first).to_be_visible()
    expect(board.locator("img").first).to_be_visible()
    board.screenshot(path=SHOTS / "08_06_dashboard_widget.png")
    figures = panel.locator(".jp-OutputArea-output img[src^='data:image/png']")
    assert figures.count() >= 2


# helpers


def _free_port() -> int:
    from local_bedrock.server import free_port

    return free_port()


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"JupyterLab exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"JupyterLab did not answer in {timeout:.0f} s:\n{log.read_text()}")


def _api(server: dict, path: str, method: str = "GET") -> dict:
    request = urllib.request.Request(f"{server['url']}/api/{path}?token={server['token']}",
                                     method=method)
    with urllib.request.urlopen(request, timeout=10) as reply:
        body = reply.read()
    return json.loads(body) if body else {}


def _tab(page: Page, name: str):
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)


def _open(page: Page, server: dict, path: str) -> None:
    for session in _api(server, "sessions"):  # one kernel at a time on a 2-core machine
        _api(server, f"sessions/{session['id']}", "DELETE")
    page.goto(f"{server['url']}/lab/tree/{path}?token={server['token']}")
    expect(_tab(page, Path(path).name)).to_be_visible()
    expect(page.locator(".jp-NotebookPanel:visible .jp-Notebook-ExecutionIndicator")).to_have_attribute(
        "data-status", "idle", timeout=60_000)


def _menu(page: Page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def _run_all(page: Page, server: dict, path: str, shot: str) -> None:
    """Clear outputs, Run All Cells, wait until every shown prompt is numbered and the kernel is
    idle, save, check errors (a cell whose source is hidden, e.g. a solution, shows no prompt)."""
    panel = page.locator(".jp-NotebookPanel:visible")
    _menu(page, "Edit", "Clear Outputs of All Cells")
    _menu(page, "Run", "Run All Cells")
    prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
    status = panel.locator(".jp-Notebook-ExecutionIndicator")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        shown = [t.strip() for t in prompts.all_text_contents() if t.strip()]
        if shown and all(t.strip("[]:").isdigit() for t in shown) \
                and status.get_attribute("data-status") == "idle":
            break
        time.sleep(0.5)
    else:
        page.screenshot(path=SHOTS / f"{shot}_timeout.png", full_page=True)
        raise AssertionError(f"{path}: cells still running after {RUN_TIMEOUT_S} s: {shown}")
    page.screenshot(path=SHOTS / f"{shot}.png", full_page=True)
    _assert_no_errors(page, path)
    file = server["root"] / path
    before = file.stat().st_mtime_ns
    page.keyboard.press("Control+s")  # what the browser holds, on disk: checked structurally
    expect(_tab(page, file.name)).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"))
    assert file.stat().st_mtime_ns != before, f"{path} was not saved"
    saved = json.loads(file.read_text())
    not_run = [i for i, c in enumerate(saved["cells"])
               if c["cell_type"] == "code" and c["execution_count"] is None]
    assert not not_run, f"{path}: cells {not_run} did not run"
    errors = [o for c in saved["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, f"{path}: error outputs: {[e['ename'] + ': ' + e['evalue'] for e in errors]}"


def _assert_no_errors(page: Page, path: str) -> None:
    panel = page.locator(".jp-NotebookPanel:visible")  # other tabs' kernels were shut down
    stderr = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    texts = stderr.all_text_contents()
    assert not texts, f"{path}: error output in the browser:\n" + "\n---\n".join(texts)
    broken = panel.locator(".jp-OutputArea-output", has_text="Error displaying widget").evaluate_all(
        """(outs) => outs.map((o) => o.textContent + ' in the cell: '
            + o.closest('.jp-Cell').querySelector('.jp-InputArea-editor').textContent)""")
    assert not broken, f"{path}: a widget did not render: {broken}"


def _type_readout(page: Page, slider, value: str) -> None:
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _assert_fits(page: Page, box) -> None:
    """Every control of the playground inside its output area; no label cut off."""
    report = box.evaluate("""(box) => {
        const area = box.closest('.jp-OutputArea-output').getBoundingClientRect();
        const out = [];
        for (const el of box.querySelectorAll('select, textarea, input, .widget-slider, button')) {
            const r = el.getBoundingClientRect();
            if (r.right > area.right + 1) out.push(`${el.tagName} ends at ${r.right}, area at ${area.right}`);
        }
        for (const el of box.querySelectorAll('.widget-label')) {
            if (el.textContent && el.scrollWidth > el.clientWidth)
                out.push(`label '${el.textContent}' cut off (${el.scrollWidth} > ${el.clientWidth})`);
        }
        return out;
    }""")
    assert not report, "playground layout: " + "; ".join(report)
