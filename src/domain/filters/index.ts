/**
 * Subscription filters over promoted context properties.
 *
 * ```ebnf
 * filter     = or-expr EOF ;
 * or-expr    = and-expr { "or" and-expr } ;
 * and-expr   = unary { "and" unary } ;
 * unary      = "not" unary | primary ;
 * primary    = "(" or-expr ")"
 *            | property ( compare-op literal | "exists" | "in" "(" literal { "," literal } ")" ) ;
 * compare-op = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
 * literal    = string | number | "true" | "false" | "null" ;
 * property   = segment { "." segment }            (* a one-segment keyword needs [ ] *)
 *            | "[" { char | escape } "]" ;        (* any non-empty name: [MQRFH2.usr.My Prop] *)
 * segment    = ( letter | "_" ) { letter | digit | "_" | "-" } ;
 * string     = "'" { char | escape } "'" | '"' { char | escape } '"' ;
 * escape     = "\\" ( "\\" | "'" | '"' | "]" | "n" | "r" | "t" ) | "\\u" hex hex hex hex | "\\u{" hex { hex } "}" ;
 * number     = [ "-" ] digit { digit } [ "." digit { digit } ] [ ( "e" | "E" ) [ "+" | "-" ] digit { digit } ] ;
 * ```
 *
 * Keywords (`and or not in exists true false null`) are case-insensitive; property names are
 * not. Blanks are space, tab, CR and LF. Parentheses and `not` nest at most `MAX_FILTER_DEPTH`
 * deep. Evaluation semantics are documented on `evaluateFilter`.
 */
export * from './ast.js';
export { FilterSyntaxError } from './errors.js';
export { evaluateFilter, type PromotedProperties } from './evaluate.js';
export { parseFilter } from './parser.js';
export { printFilter } from './print.js';
