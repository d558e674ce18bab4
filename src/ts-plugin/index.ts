// TypeScript server plugin the extension contributes (package.json `typescriptServerPlugins`):
// wherever `@agentrl/sdk` does not resolve the usual way (a folder with no node_modules and no
// scaffold tsconfig), it resolves to the SDK declarations shipped beside this plugin, so env.ts
// gets types, doc comments and completions of the SDK, and imports the runner's bundler loads as
// text (`./calc.py`) are typed through those declarations. Imports that resolve on their own (a
// local install, a scaffold's `paths`) are left alone. Runs inside tsserver: CommonJS, no vscode.
import path from "node:path";
import type tsModule from "typescript/lib/tsserverlibrary";

const SDK = "@agentrl/sdk";

function init(modules: { typescript: typeof tsModule }): tsModule.server.PluginModule {
  const ts = modules.typescript;
  const entry = path.join(__dirname, "types", "index.d.ts");
  const shipped: tsModule.ResolvedModuleFull = { resolvedFileName: entry, extension: ts.Extension.Dts, isExternalLibraryImport: true };

  function create(info: tsModule.server.PluginCreateInfo): tsModule.LanguageService {
    const host = info.languageServiceHost;
    const resolveLiterals = host.resolveModuleNameLiterals?.bind(host);
    if (!resolveLiterals) {
      info.project.projectService.logger.info("agentrl-sdk-ts-plugin: this TypeScript has no resolveModuleNameLiterals (TypeScript < 5.0); not active");
      return info.languageService;
    }
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, sourceFile, reused) =>
      resolveLiterals(literals, containingFile, redirected, options, sourceFile, reused).map((r, i) => (!r.resolvedModule && literals[i]?.text === SDK ? { resolvedModule: shipped } : r));
    info.project.projectService.logger.info(`agentrl-sdk-ts-plugin: ${SDK} falls back to ${entry}`);
    return info.languageService;
  }

  return { create };
}

// tsserver loads plugins with require(): the module itself is the init function.
module.exports = init;
