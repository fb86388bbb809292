import GaleJSON

/// The templates every gateway lists, read-only, with negative ids: a Deployment with its
/// Service, a CronJob, a ConfigMap.
enum BuiltInTemplates {
    static let all: [ResourceTemplate] = [
        make(
            id: -1, name: "builtin-deployment-service",
            description: "A Deployment of one container image and a ClusterIP Service in front of it",
            manifests: """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: "{{ name }}"
                  labels:
                    app: "{{ name }}"
                spec:
                  replicas: "{{ replicas }}"
                  selector:
                    matchLabels:
                      app: "{{ name }}"
                  template:
                    metadata:
                      labels:
                        app: "{{ name }}"
                    spec:
                      containers:
                        - name: "{{ name }}"
                          image: "{{ image }}"
                          ports:
                            - containerPort: "{{ port }}"
                ---
                apiVersion: v1
                kind: Service
                metadata:
                  name: "{{ name }}"
                  labels:
                    app: "{{ name }}"
                spec:
                  type: ClusterIP
                  selector:
                    app: "{{ name }}"
                  ports:
                    - port: "{{ port }}"
                      targetPort: "{{ port }}"
                """,
            parameters: [
                nameParameter("the Deployment, its Service and their app label"),
                [
                    "name": "image", "type": "string", "required": true, "description": "the container image",
                    "pattern": "[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}",
                ],
                [
                    "name": "replicas", "type": "integer", "default": 1, "minimum": 0, "maximum": 100,
                    "description": "how many pods",
                ],
                [
                    "name": "port", "type": "integer", "default": 80, "minimum": 1, "maximum": 65535,
                    "description": "the port the container listens on and the Service serves",
                ],
            ]),
        make(
            id: -2, name: "builtin-cronjob",
            description: "A CronJob running one command in a container image on a schedule",
            manifests: """
                apiVersion: batch/v1
                kind: CronJob
                metadata:
                  name: "{{ name }}"
                spec:
                  schedule: "{{ schedule }}"
                  concurrencyPolicy: Forbid
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          restartPolicy: OnFailure
                          containers:
                            - name: "{{ name }}"
                              image: "{{ image }}"
                              command: ["/bin/sh", "-c", "{{ command }}"]
                """,
            parameters: [
                nameParameter("the CronJob"),
                [
                    "name": "schedule", "type": "string", "default": "0 * * * *", "description": "a cron schedule",
                    "pattern": "[0-9*/,@ a-zA-Z-]{1,100}",
                ],
                [
                    "name": "image", "type": "string", "default": "busybox:1.36", "description": "the container image",
                    "pattern": "[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}",
                ],
                ["name": "command", "type": "string", "required": true, "description": "the shell command to run"],
            ]),
        make(
            id: -3, name: "builtin-configmap",
            description: "A ConfigMap holding one text under the key `config`",
            manifests: """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: "{{ name }}"
                data:
                  config: "{{ value }}"
                """,
            parameters: [
                nameParameter("the ConfigMap"),
                ["name": "value", "type": "string", "default": "", "description": "the text under `config`"],
            ]),
    ]

    /// The built-in template with `id`, if any.
    static func template(id: Int64) -> ResourceTemplate? {
        all.first { $0.id == id }
    }

    /// A required DNS-1123 name.
    private static func nameParameter(_ what: String) -> JSONValue {
        [
            "name": "name", "type": "string", "required": true, "description": .string("the name of \(what)"),
            "pattern": "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?",
        ]
    }

    private static func make(id: Int64, name: String, description: String, manifests: String, parameters: [JSONValue])
        -> ResourceTemplate
    {
        do {
            var template = try ResourceTemplate(
                id: id, name: name, description: description, manifests: manifests + "\n",
                parameters: .array(parameters))
            template.builtIn = true
            return template
        } catch {
            preconditionFailure("built-in template \(name) is invalid: \(error)")
        }
    }
}
