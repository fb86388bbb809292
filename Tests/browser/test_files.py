"""File transfer: a file chosen in the page goes into a container and comes back unchanged."""

import hashlib
import os

from selenium.webdriver.common.by import By

SIZE = 700 * 1024 + 123  # several progress frames (every 256 KiB), not a round number


def test_upload_then_download_returns_the_same_bytes(console, gateway, simulator, cluster_id, admin_token,
                                                      tmp_path, downloads):
    payload = os.urandom(SIZE)
    source = tmp_path / "payload.dat"
    source.write_bytes(payload)
    target = "/tmp/browser-payload.dat"
    pod = simulator.pod_names("demo", "app=api")[0]

    console.go("pods", cluster_id=cluster_id, namespace="demo")
    console.open_detail("pods-table", pod, tab="files")

    console.find("#upload-file").send_keys(str(source))  # what choosing the file in the dialog does
    path = console.find("#upload-path")
    assert path.get_attribute("value") == "/tmp/payload.dat"  # the file's name suggested in /tmp/
    path.clear()
    path.send_keys(target)
    console.click("#upload-start")
    assert console.wait_transfer("upload-progress") == "done", console.find("#upload-status").text
    progress = console.driver.find_element(By.ID, "upload-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max")
    assert console.find("#upload-status").text == f"Uploaded {SIZE / 1024:.1f} KiB to {target}."
    # The container has the bytes (read back over the HTTP API, not through the page).
    assert gateway.file(admin_token, cluster_id, "demo", pod, target) == payload

    console.find("#download-path").send_keys(target)
    console.click("#download-start")
    assert console.wait_transfer("download-progress") == "done", console.find("#download-status").text
    saved = console.wait_download(downloads, "browser-payload.dat")
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(payload).hexdigest()
    assert console.diagnostics("detail.files.lastDownload") == {"filename": "browser-payload.dat", "size": SIZE, "format": "file"}
