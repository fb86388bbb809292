// Copies files into and out of a container (like `kubectl cp`) over the console's socket, with
// the progress of each transfer.

import { h, setText } from "../core/dom.js";
import { bytes } from "../core/format.js";
import { saveBlob } from "../core/save.js";
import { describeError } from "./confirm-dialog.js";

export class FilesView {
  constructor({ client, clusterId, namespace, pod, containers }) {
    this.client = client;
    this.target = { cluster: clusterId, namespace, pod };
    /** The last download, for a look from the diagnostics: `{filename, size, format}`. */
    this.lastDownload = null;

    this.container = h("select", { id: "files-container", "aria-label": "Container" },
      containers.map((name) => h("option", { value: name, text: name })));

    this.uploadFile = h("input", { type: "file", id: "upload-file" });
    this.uploadPath = h("input", { type: "text", id: "upload-path", placeholder: "/tmp/", value: "/tmp/", "aria-label": "Destination path", spellcheck: "false" });
    this.uploadButton = h("button", { type: "button", id: "upload-start", class: "primary", text: "Upload", disabled: true });
    this.uploadProgress = h("progress", { id: "upload-progress", max: 1, value: 0 });
    this.uploadStatus = h("p", { class: "status", id: "upload-status" });

    this.downloadPath = h("input", { type: "text", id: "download-path", placeholder: "/etc/hostname", "aria-label": "Path to download", spellcheck: "false" });
    this.downloadButton = h("button", { type: "button", id: "download-start", class: "primary", text: "Download" });
    this.downloadProgress = h("progress", { id: "download-progress", max: 1, value: 0 });
    this.downloadStatus = h("p", { class: "status", id: "download-status" });

    this.element = h("div", { class: "tab-panel" },
      h("div", { class: "toolbar" }, h("label", {}, "Container", this.container)),
      h("div", { class: "files" },
        h("section", { class: "transfer", id: "upload-panel" },
          h("h3", { text: "Upload a file" }),
          h("div", { class: "row" }, this.uploadFile),
          h("div", { class: "row" }, this.uploadPath, this.uploadButton),
          this.uploadProgress,
          this.uploadStatus),
        h("section", { class: "transfer", id: "download-panel" },
          h("h3", { text: "Download a file or directory" }),
          h("p", { class: "muted", text: "A directory arrives as a .tar archive." }),
          h("div", { class: "row" }, this.downloadPath, this.downloadButton),
          this.downloadProgress,
          this.downloadStatus)));

    this.uploadFile.addEventListener("change", () => {
      const file = this.uploadFile.files[0];
      this.uploadButton.disabled = !file;
      // Suggest the file's name in the chosen directory.
      if (file && this.uploadPath.value.endsWith("/")) this.uploadPath.value += file.name;
    });
    this.uploadButton.addEventListener("click", () => this.upload());
    this.downloadButton.addEventListener("click", () => this.download());
    this.downloadPath.addEventListener("keydown", (event) => event.key === "Enter" && this.download());
  }

  async upload() {
    const file = this.uploadFile.files[0];
    const path = this.uploadPath.value.trim();
    if (!file || !path) return;
    this.uploadButton.disabled = true;
    start(this.uploadProgress, this.uploadStatus, `Uploading ${file.name} (${bytes(file.size)})…`);
    try {
      const result = await this.client.upload(file, {
        ...this.target, container: this.container.value || undefined, path,
        onProgress: (progress) => advance(this.uploadProgress, progress, file.size),
      });
      finish(this.uploadProgress, this.uploadStatus, `Uploaded ${bytes(result.size)} to ${result.path}.`);
    } catch (error) {
      fail(this.uploadProgress, this.uploadStatus, describeError(error));
    } finally {
      this.uploadButton.disabled = !this.uploadFile.files[0];
    }
  }

  async download() {
    const path = this.downloadPath.value.trim();
    if (!path) return;
    this.downloadButton.disabled = true;
    start(this.downloadProgress, this.downloadStatus, `Downloading ${path}…`);
    try {
      const result = await this.client.download({
        ...this.target, container: this.container.value || undefined, path,
        onProgress: (progress) => advance(this.downloadProgress, progress),
      });
      const type = result.format === "tar" ? "application/x-tar" : "application/octet-stream";
      saveBlob(new Blob([result.bytes], { type }), result.filename);
      this.lastDownload = { filename: result.filename, size: result.size, format: result.format };
      finish(this.downloadProgress, this.downloadStatus, `Saved ${result.filename} (${bytes(result.size)}).`);
    } catch (error) {
      fail(this.downloadProgress, this.downloadStatus, describeError(error));
    } finally {
      this.downloadButton.disabled = false;
    }
  }

}

function start(progress, status, text) {
  progress.removeAttribute("value"); // indeterminate until the first progress frame
  progress.dataset.state = "running";
  status.classList.remove("error");
  setText(status, text);
}

function advance(progress, { bytes: done, total }, fallbackTotal) {
  const size = total ?? fallbackTotal;
  if (!size) return;
  progress.max = size;
  progress.value = Math.min(done, size);
}

function finish(progress, status, text) {
  progress.max = 1;
  progress.value = 1;
  progress.dataset.state = "done";
  setText(status, text);
}

function fail(progress, status, text) {
  progress.max = 1;
  progress.value = 0;
  progress.dataset.state = "failed";
  status.classList.add("error");
  setText(status, text);
}
