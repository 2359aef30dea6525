// Validate the monitoring.coreos.com objects (PodMonitor, ServiceMonitor...) among manifests
// against the Prometheus Operator's schema, as the API server would with its CRDs installed.
//
//   kubectl kustomize k8s/overlays/prod | node tasks/k8s/monitoring_schema.mjs
//
// stdin: YAML documents or JSON (a JSON array is one list of objects); objects of other groups
// are skipped (kubernetes-validate checks those, tasks/k8s/schema.py). stdout: one line per
// problem, "Kind/name: field.path: what is wrong", then "checked N monitoring.coreos.com
// objects: ok" or "...: M problems". Exit 0 when valid, 1 on problems, 2 on unreadable input.
//
// The schema is @kubernetes-models/prometheus-operator's (package-lock.json): ajv validators
// generated from the operator's Go API types, the types its CRDs are generated from. They enforce
// required fields, types, enums and patterns (a Duration like "30s"), but accept fields the
// schema does not know. The API server rejects those (strict field validation, `kubectl apply`'s
// default), so they are found here too, without a list of our own: a validator reads every
// property its schema declares, so a field it never read is one the schema does not have.
// An object whose validator reads none of its fields is free-form (a map the schema lets hold
// anything) and is not checked this way.

import { readFileSync } from "node:fs";

import * as group from "@kubernetes-models/prometheus-operator/monitoring.coreos.com";
import { parseAllDocuments } from "yaml";

const GROUP = "monitoring.coreos.com";

// "monitoring.coreos.com/v1 PodMonitor" -> the package's model class, for every kind it has.
const MODELS = new Map(
  Object.values(group)
    .flatMap((version) => Object.values(version))
    .filter((model) => typeof model === "function" && model.apiVersion && model.kind)
    .map((model) => [`${model.apiVersion} ${model.kind}`, model]),
);

function readObjects(text) {
  const objects = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length) {
      throw new Error(document.errors[0].message.split("\n")[0].replace(/:$/, ""));
    }
    const value = document.toJS();
    objects.push(...(Array.isArray(value) ? value : [value]));
  }
  return objects.filter((object) => object !== null && object !== undefined);
}

// A JSON pointer's segments: /spec/podMetricsEndpoints/0/interval -> spec, podMetricsEndpoints, 0, ...
function segments(pointer) {
  return pointer.split("/").slice(1).map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

// spec, podMetricsEndpoints, 0, interval -> spec.podMetricsEndpoints[0].interval
function fieldPath(parts) {
  return parts.reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path ? `${path}.${s}` : s), "");
}

// "path: what is wrong" for one ajv error, naming the value the schema refused.
function describe(error, object) {
  const { keyword, params } = error;
  const parts = segments(error.instancePath);
  if (keyword === "required") return `${fieldPath([...parts, params.missingProperty])}: required field is missing`;
  const value = JSON.stringify(parts.reduce((at, s) => at?.[s], object));
  const what = keyword === "enum" ? `must be one of: ${params.allowedValues.join(", ")}` : error.message;
  return `${fieldPath(parts) || "(object)"}: ${value} ${what}`;
}

// A view of `data` that records, for every object in it, which of its properties were read.
function tracked(data, reads) {
  const proxies = new WeakMap();
  const wrap = (value) => {
    if (value === null || typeof value !== "object") return value;
    if (!proxies.has(value)) {
      reads.set(value, new Set());
      proxies.set(
        value,
        new Proxy(value, {
          get(target, key, receiver) {
            if (typeof key === "string" && Object.hasOwn(target, key)) reads.get(target).add(key);
            const found = Reflect.get(target, key, receiver);
            return typeof found === "function" ? found : wrap(found);
          },
          has(target, key) {
            if (typeof key === "string") reads.get(target).add(key);
            return Reflect.has(target, key);
          },
        }),
      );
    }
    return proxies.get(value);
  };
  return wrap(data);
}

// Fields present in objects the validator looked into, but never read by it.
function unknownFields(value, reads, path = "") {
  if (value === null || typeof value !== "object" || !reads.has(value)) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unknownFields(item, reads, `${path}[${i}]`));
  const read = reads.get(value);
  if (read.size === 0) return [];
  return Object.keys(value).flatMap((key) => {
    const at = path ? `${path}.${key}` : key;
    return read.has(key) ? unknownFields(value[key], reads, at) : [at];
  });
}

function problems(object) {
  const name = `${object.kind}/${object.metadata?.name ?? "(no name)"}`;
  const Model = MODELS.get(`${object.apiVersion} ${object.kind}`);
  if (!Model) return [`${name}: no schema for ${object.apiVersion} ${object.kind}: not a Prometheus Operator kind`];
  const model = new Model(object);
  const reads = new Map();
  let errors = [];
  try {
    tracked(model, reads).validate();
  } catch (error) {
    if (!Array.isArray(error.errors)) throw error;
    errors = error.errors;
  }
  const lines = errors.map((error) => `${name}: ${describe(error, object)}`);
  lines.push(...unknownFields(model, reads).map((path) => `${name}: ${path}: unknown field`));
  return [...new Set(lines)];
}

let objects;
try {
  objects = readObjects(readFileSync(0, "utf8"));
} catch (error) {
  console.log(`monitoring_schema: stdin is not YAML or JSON: ${error.message}`);
  process.exit(2);
}
const monitoring = objects.filter((o) => typeof o?.apiVersion === "string" && o.apiVersion.startsWith(`${GROUP}/`));
const found = monitoring.flatMap(problems);
for (const line of found) console.log(line);
const count = `${monitoring.length} ${GROUP} object${monitoring.length === 1 ? "" : "s"}`;
console.log(`checked ${count}: ${found.length ? `${found.length} problem${found.length === 1 ? "" : "s"}` : "ok"}`);
process.exit(found.length ? 1 : 0);
