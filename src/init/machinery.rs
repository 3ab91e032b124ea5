//! The build's and CI's own files: what every team's copy needs to build
//! and test, so a draft puts them in `shared` rather than giving them to a
//! team or leaving them unowned.

/// Files at the root of the tree that drive a build or a toolchain
/// (manifests of the root project or workspace, lock files, wrappers,
/// settings). A package's own manifest below the root is its package's.
const ROOT_FILES: &[&str] = &[
    // Gradle and Maven
    "settings.gradle",
    "settings.gradle.kts",
    "build.gradle",
    "build.gradle.kts",
    "gradle.properties",
    "gradlew",
    "gradlew.bat",
    "pom.xml",
    "mvnw",
    "mvnw.cmd",
    // npm, pnpm, Yarn and the tools of JavaScript monorepos
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "yarn.lock",
    ".yarnrc",
    ".yarnrc.yml",
    ".npmrc",
    ".nvmrc",
    "lerna.json",
    "nx.json",
    "turbo.json",
    "tsconfig.json",
    "tsconfig.base.json",
    // Cargo, Go, Python, composer
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain",
    "rust-toolchain.toml",
    "go.work",
    "go.work.sum",
    "pyproject.toml",
    "uv.lock",
    "poetry.lock",
    "requirements.txt",
    "composer.json",
    "composer.lock",
    // Make, Bazel and the rest of the build
    "Makefile",
    "WORKSPACE",
    "WORKSPACE.bazel",
    "MODULE.bazel",
    ".bazelrc",
    ".bazelversion",
    // CI configured by one file
    ".gitlab-ci.yml",
    ".travis.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    "Jenkinsfile",
    "codecov.yml",
    ".pre-commit-config.yaml",
    // The repository's own settings
    "CODEOWNERS",
    ".gitignore",
    ".gitattributes",
    ".editorconfig",
];

/// Directories at the root that hold the build's machinery or CI.
pub(super) const ROOT_DIRS: &[&str] = &[
    ".github",
    ".gitlab",
    ".circleci",
    ".buildkite",
    ".ci",
    ".mvn",
    ".yarn",
    "gradle",
    "buildSrc",
    "build-logic",
];

/// True if `path` is one of the build's or CI's own files.
pub(super) fn is_machinery(path: &str) -> bool {
    match path.split_once('/') {
        Some((top, _)) => ROOT_DIRS.contains(&top),
        None => ROOT_FILES.contains(&path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_build_files_and_ci_are_machinery_a_packages_own_manifest_is_not() {
        for p in [
            "gradlew",
            "settings.gradle.kts",
            "pnpm-lock.yaml",
            ".github/workflows/ci.yml",
            "gradle/libs.versions.toml",
            "build-logic/settings.gradle",
            "Cargo.lock",
        ] {
            assert!(is_machinery(p), "{p}");
        }
        for p in ["web/package.json", "src/main.rs", "README.md", "docs/build.gradle", "gradle.md"] {
            assert!(!is_machinery(p), "{p}");
        }
    }
}
