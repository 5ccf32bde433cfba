/**
 * The subscription filter AST. It carries no source positions, so that `parse(print(ast))`
 * can equal `ast` exactly; syntax errors carry positions instead.
 */

export type FilterLiteral = string | number | boolean | null;

export const compareOps = ['==', '!=', '<', '<=', '>', '>='] as const;
export type CompareOp = (typeof compareOps)[number];

export interface CompareNode {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly property: string;
  readonly value: FilterLiteral;
}

export interface ExistsNode {
  readonly kind: 'exists';
  readonly property: string;
}

export interface InNode {
  readonly kind: 'in';
  readonly property: string;
  /** Never empty: `x in ()` is a syntax error, since it could only ever be false. */
  readonly values: readonly [FilterLiteral, ...FilterLiteral[]];
}

export interface NotNode {
  readonly kind: 'not';
  readonly operand: FilterNode;
}

/**
 * `and` / `or` hold all the operands of one unparenthesised chain (`a and b and c` is one node
 * with three operands), so a long chain stays flat and evaluating it never recurses deeply.
 */
export interface AndNode {
  readonly kind: 'and';
  readonly operands: readonly [FilterNode, FilterNode, ...FilterNode[]];
}

export interface OrNode {
  readonly kind: 'or';
  readonly operands: readonly [FilterNode, FilterNode, ...FilterNode[]];
}

export type FilterNode = CompareNode | ExistsNode | InNode | NotNode | AndNode | OrNode;

/**
 * How deeply parentheses and `not` may nest. Far beyond any real subscription, and low enough
 * that parsing, printing and evaluating cannot exhaust the call stack on hostile input.
 */
export const MAX_FILTER_DEPTH = 100;

/** Every property a filter reads, once each, in order of first appearance. */
export function filterProperties(node: FilterNode): string[] {
  const seen = new Set<string>();
  const visit = (n: FilterNode): void => {
    switch (n.kind) {
      case 'compare':
      case 'exists':
      case 'in':
        seen.add(n.property);
        return;
      case 'not':
        visit(n.operand);
        return;
      case 'and':
      case 'or':
        n.operands.forEach(visit);
        return;
    }
  };
  visit(node);
  return [...seen];
}
