// Test-only reader: parses each file given with tsshogi and prints one JSON array, one object per file:
// { file, error } when tsshogi rejects it, otherwise
// { file, initialSfen, blackName, whiteName, moves: [usi], elapsedMs: [per move], special, sideToMoveAtEnd, endComment }.
// special is tsshogi's special-move type ("resign", "foulWin", "maxMoves", ...) or "any:<name>" for a name it does not
// know, or null when the record ends without one. .kif files are decoded as Shift_JIS, .kifu and .csa as UTF-8 (both strictly).
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { Move, RecordMetadataKey, importCSA, importKIF } from "tsshogi";

function read(file) {
  const ext = extname(file).toLowerCase();
  const bytes = readFileSync(file);
  const text = new TextDecoder(ext === ".kif" ? "shift_jis" : "utf-8", { fatal: true }).decode(bytes);
  const record = ext === ".csa" ? importCSA(text) : importKIF(text);
  if (record instanceof Error) return { file, error: record.message };
  const nodes = record.moves.slice(1); // moves[0] is the start node
  const moves = [];
  const elapsedMs = [];
  let special = null;
  let sideToMoveAtEnd = record.initialPosition.color;
  let endComment = null;
  for (const node of nodes) {
    if (node.move instanceof Move) {
      if (special !== null) return { file, error: `a move (${node.move.usi}) after the special move ${special}` };
      moves.push(node.move.usi);
      elapsedMs.push(node.elapsedMs);
      sideToMoveAtEnd = node.nextColor;
    } else {
      special = node.move.type === "any" ? `any:${node.move.name}` : node.move.type;
      endComment = node.comment;
    }
  }
  return {
    file,
    initialSfen: record.initialPosition.sfen,
    blackName: record.metadata.getStandardMetadata(RecordMetadataKey.BLACK_NAME) ?? null,
    whiteName: record.metadata.getStandardMetadata(RecordMetadataKey.WHITE_NAME) ?? null,
    moves,
    elapsedMs,
    special,
    sideToMoveAtEnd,
    endComment,
  };
}

const results = [];
for (const file of process.argv.slice(2)) {
  try {
    results.push(read(file));
  } catch (e) {
    results.push({ file, error: String(e) });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
