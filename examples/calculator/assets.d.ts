// env.ts imports calc.py as text (esbuild's text loader); this tells the editor its type.
declare module "*.py" {
  const source: string;
  export default source;
}
