import KubeClient

/// What the target lets `resolve` do: nothing beyond the document. Exec plugins and file paths are
/// refused before anything is read or run, so the target never touches the machine; plain http
/// and skipped TLS checks are allowed, to reach the rest of `resolve`.
private let policy = KubeconfigPolicy(allowsExec: false, allowsFiles: false, allowsInsecureTransport: true)

/// libFuzzer entry point: the kubeconfig reader on arbitrary documents, as `/clusters` receives
/// them: parsing, then resolving every context (and the current one) under a policy that refuses
/// files and exec plugins.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKubeconfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let config = try? Kubeconfig(yaml: text, baseDirectory: "/nonexistent") else { return 0 }
    _ = try? config.check(.untrusted)
    for name in config.contextNames {
        _ = try? config.resolve(context: name, policy: policy)
    }
    _ = try? config.resolve(policy: policy)
    return 0
}
