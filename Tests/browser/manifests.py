"""Kubernetes objects the tests create in the simulator, as YAML for `kubectl create -f -`."""

import json


def namespace(name):
    return f"""apiVersion: v1
kind: Namespace
metadata:
  name: {name}
"""


def deployment(name, namespace, replicas, image="nginx:1.27"):
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: {name}
        image: {image}
        ports:
        - containerPort: 80
"""


def service(name, namespace, port=80):
    """A ClusterIP Service selecting the pods labelled `app: name`."""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  selector:
    app: {name}
  ports:
  - port: {port}
    targetPort: {port}
"""


def pod(name, namespace, image="busybox:1.36", labels=None, annotations=None):
    label_lines = "".join(f"\n    {key}: {value}" for key, value in (labels or {"app": name}).items())
    # JSON strings are YAML double-quoted scalars: any text survives.
    annotation_lines = "".join(f"\n    {json.dumps(key)}: {json.dumps(value)}" for key, value in (annotations or {}).items())
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  labels:{label_lines}
  annotations:{annotation_lines or " {}"}
spec:
  containers:
  - name: main
    image: {image}
"""
