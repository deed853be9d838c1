/**
 * The TOML texts of the tests, read as rtconf reads files.
 *
 * @module
 */

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The files of a folder of testdata/, by name, read as rtconf reads them (a byte order mark kept).
 *
 * @param folder The folder, e.g. `containerd`.
 * @returns Each file's `folder/name` and text, by name.
 */
export function testdata(folder: string): [string, string][] {
  const dir = new URL(`./${folder}/`, import.meta.url);
  return [...Deno.readDirSync(dir)]
    .filter((item) => item.isFile)
    .map((item) => item.name)
    .sort()
    .map((name) => [`${folder}/${name}`, decoder.decode(Deno.readFileSync(new URL(name, dir)))]);
}
