import { SeededRandom } from "./random.js";

/**
 * Words written for the fixtures (a small retrieval-flavoured English vocabulary), so that the generated
 * tokenizers turn ordinary text into whole-word tokens rather than only characters.
 */
export const FIXTURE_WORDS = `the a an of to in and or is are was were be been for on with as by at from that this
it its not no yes what which who how why when where do does did can could will would should may might must
have has had into over under about after before between during than then there here more most less least
very also only just such each every all any some many much few other same new old good best bad high low
large small long short first last next early late fast slow quick easy hard true false data model models
query queries document documents search rank ranking rerank reranker score scores relevance relevant result
results retrieval retriever index token tokens text passage passages answer answers question questions
cross encoder encoders vector vectors embedding embeddings language machine learning neural network train
training test tests batch batches length time memory speed server client request response error errors
file files cache download local remote hosted provider providers config option options value values
ocean sea river lake water rain snow cloud weather climate storm wind sun moon star planet earth space
city country town village road street house home room door window garden tree trees flower forest mountain
food bread rice cheese apple orange coffee tea milk sugar salt soup cook cooking recipe kitchen dinner
health doctor hospital disease medicine heart blood body brain sleep exercise diet vitamin pain fever
history war king queen empire ancient century year years day days week month people person child children
music song film book story art paint painting museum game sport football team player ball match win
money price market bank trade business company work job office law court tax energy power solar battery
car train plane ship bike travel trip map north south east west capital population island bridge tower
animal dog cat bird fish horse cow insect bee whale shark lion tiger bear wolf snake`.split(/\s+/).filter(Boolean);

const LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789".split("");
const PUNCTUATION = ".,;:!?'\"()[]{}-_/\\&%$#@*+=<>|~`^".split("");
const SYLLABLES = "ba be bi bo bu ca ce co da de di do fa fe fi ga ge go ha he hi ka ke ko la le li lo ma me mi mo na ne ni no pa pe pi po ra re ri ro sa se si so ta te ti to va ve vi wa we ya yo za ze".split(" ");

/**
 * The BERT uncased id layout (0 [PAD], 1..99 unused, 100 [UNK], 101 [CLS], 102 [SEP], 103 [MASK]) followed by
 * characters, the fixture words, their continuation pieces and, for full-size vocabularies, deterministic
 * syllable words up to the requested size. Real shapes therefore have real embedding-table sizes.
 */
export function buildWordPieceVocab(size: number | "tiny"): string[] {
  const vocab: string[] = ["[PAD]"];
  const unused = size === "tiny" ? 0 : 99;
  for (let i = 0; i < unused; i++) vocab.push(`[unused${i}]`);
  vocab.push("[UNK]", "[CLS]", "[SEP]", "[MASK]");
  const seen = new Set(vocab);
  const add = (t: string) => {
    if (!seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  for (const c of [...PUNCTUATION, ...LETTERS]) add(c);
  for (const c of LETTERS) add(`##${c}`);
  for (const w of FIXTURE_WORDS) add(w);
  for (const s of ["s", "ing", "ed", "er", "ly", "es", "tion"]) add(`##${s}`);
  if (size === "tiny") return vocab;
  if (vocab.length > size) throw new Error(`vocabulary of ${size} is smaller than the fixture base vocabulary`);
  const rng = new SeededRandom(30522);
  while (vocab.length < size) {
    const n = 2 + Math.floor(rng.next() * 3);
    let word = "";
    for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(rng.next() * SYLLABLES.length)];
    add(rng.next() < 0.3 ? `##${word}` : word);
  }
  return vocab;
}

/** SentencePiece-style pieces for the XLM-R variant: special tokens first, as in XLM-R (<s>=0, <pad>=1, </s>=2, <unk>=3). */
export function buildUnigramVocab(size: number | "tiny"): Array<[string, number]> {
  const pieces: Array<[string, number]> = [
    ["<s>", 0],
    ["<pad>", 0],
    ["</s>", 0],
    ["<unk>", 0],
  ];
  const seen = new Set(pieces.map((p) => p[0]));
  const add = (t: string, score: number) => {
    if (!seen.has(t)) {
      seen.add(t);
      pieces.push([t, score]);
    }
  };
  add("▁", -2);
  for (const c of [...LETTERS, ...PUNCTUATION]) {
    add(c, -8);
    add(`▁${c}`, -7);
  }
  for (const w of FIXTURE_WORDS) add(`▁${w}`, -4 - w.length / 10);
  const target = size === "tiny" ? 0 : size - 1;
  const rng = new SeededRandom(250002);
  while (pieces.length < target) {
    let word = "";
    const n = 2 + Math.floor(rng.next() * 3);
    for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(rng.next() * SYLLABLES.length)];
    add(`▁${word}`, -10 - rng.next());
  }
  pieces.push(["<mask>", 0]);
  return pieces;
}
