import { spawnSync } from "node:child_process";

/** The Java major version DynamoDB Local 3.x needs. */
export const JAVA_MIN_MAJOR = 17;

/** What to install when Java is missing or too old, by platform. */
export const JAVA_INSTALL_HINT =
  `DynamoDB Local (AWS's own emulator, used by the tests and the sandbox) needs a Java ${JAVA_MIN_MAJOR}+ runtime on PATH. ` +
  `Install one: Debian/Ubuntu 'sudo apt-get install -y openjdk-17-jre-headless', Fedora 'sudo dnf install -y java-17-openjdk-headless', ` +
  `macOS 'brew install openjdk@17'; then check with 'java -version'.`;

/** Parses the major version out of `java -version` output (`openjdk version "17.0.15"`, `java version "1.8.0_392"`). */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** Throws an error that says exactly what to install when no usable Java is on PATH. */
export function assertJava(java = "java"): void {
  const result = spawnSync(java, ["-version"], { encoding: "utf8" });
  if (result.error) throw new Error(`'${java}' was not found. ${JAVA_INSTALL_HINT}`);
  const major = javaMajorVersion(`${result.stderr}\n${result.stdout}`);
  if (major === undefined || major < JAVA_MIN_MAJOR) {
    throw new Error(`'${java} -version' reports ${major === undefined ? "an unknown version" : `Java ${major}`}. ${JAVA_INSTALL_HINT}`);
  }
}
